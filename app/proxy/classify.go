package proxy

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
)

// verdict is what one upstream answer means for the request and the key.
type verdict struct {
	retry bool       // try the next key
	event pool.Event // what happens to the key
	until time.Time  // end of a cooldown or quota window
	mark  bool       // whether the key is touched at all
	// upstream: a failure of the upstream as a whole until shown otherwise
	// (408, 5xx): app/health decides whether the key is to blame.
	upstream bool
	// modelOut: the key may not serve this model (Ollama's 402 "this model
	// uses extra usage only"); it keeps serving the others.
	modelOut bool
}

// maxCooldown caps a rate-limit cooldown an upstream asks for.
const (
	defaultCooldown = 60 * time.Second
	maxCooldown     = time.Hour
)

// classify reads an upstream status (and, for errors, the start of the
// body) per DESIGN.md's key state table.
func classify(p *provider.Provider, status int, h http.Header, body []byte, now time.Time) verdict {
	switch {
	case status >= 200 && status < 300:
		return verdict{event: pool.Success, mark: true}
	case status == http.StatusPaymentRequired && p.ID == provider.Ollama && modelScoped402(body):
		return verdict{retry: true, modelOut: true}
	case status == http.StatusUnauthorized, status == http.StatusPaymentRequired:
		return verdict{retry: true, event: pool.Invalid, mark: true}
	case status == http.StatusForbidden:
		if p.KeyErrorOn403() {
			return verdict{retry: true, event: pool.Invalid, mark: true}
		}
		return verdict{} // moderation: about the content, not the key
	case status == http.StatusTooManyRequests:
		if until, ok := quotaWindow(body, now); ok {
			return verdict{retry: true, event: pool.QuotaExhausted, until: until, mark: true}
		}
		return verdict{retry: true, event: pool.RateLimited, until: now.Add(retryAfter(h, now)), mark: true}
	case status == http.StatusRequestTimeout, status >= 500:
		return verdict{retry: true, upstream: true}
	}
	return verdict{} // 400, 404, 413, 422 …: the client's problem, passed through
}

// modelScoped402 recognises Ollama's 402 for one model: "this model uses
// extra usage only (not included plan usage) and your extra usage balance
// is empty". Any other 402 is about the key as a whole.
func modelScoped402(body []byte) bool {
	return bytes.Contains(bytes.ToLower(body), []byte("extra usage"))
}

// quotaWindow recognises quota-exhausted 429s and returns when the window
// resets: Ollama's hourly / session / weekly usage limits and OpenRouter's
// daily free-model cap.
func quotaWindow(body []byte, now time.Time) (time.Time, bool) {
	msg := strings.ToLower(string(body))
	switch {
	case strings.Contains(msg, "hourly usage limit"):
		return now.UTC().Truncate(time.Hour).Add(time.Hour), true
	case strings.Contains(msg, "session usage limit"):
		return now.Add(5 * time.Hour), true
	case strings.Contains(msg, "weekly usage limit"):
		return now.Add(7 * 24 * time.Hour), true
	case strings.Contains(msg, "free-models-per-day"):
		y, m, d := now.UTC().Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}

// retryAfter reads Retry-After (seconds or HTTP date) or OpenRouter's
// X-RateLimit-Reset (epoch milliseconds), defaulting to 60 s, capped at 1 h.
func retryAfter(h http.Header, now time.Time) time.Duration {
	d := time.Duration(0)
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			d = time.Duration(n * float64(time.Second))
		} else if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	} else if v := h.Get("X-RateLimit-Reset"); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			d = time.UnixMilli(ms).Sub(now)
		}
	}
	switch {
	case d <= 0:
		return defaultCooldown
	case d > maxCooldown:
		return maxCooldown
	}
	return d
}
