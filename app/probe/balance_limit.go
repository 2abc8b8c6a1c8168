package probe

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/keypool/keypool/app/provider"
)

// Bounds of the wait a balance endpoint's 429 asks for: Ollama's limit is
// per minute, so a 429 without a usable Retry-After waits a minute; an
// absurd one is capped as the pool caps rate-limit cooldowns.
const (
	defaultHold = time.Minute
	maxHold     = time.Hour
)

// probeBalance probes through Ollama's GET /api/balance and honours its
// rate limit: a key it answered 429 is not asked again before the
// Retry-After, and one probe waits for that at most once, and only when
// the wait leaves time for the request within ctx. A key still held is
// reported valid and rate limited, as a 429 is, without a request.
func (pr *Prober) probeBalance(ctx context.Context, p *provider.Provider, apiKey string) Result {
	waited := false
	if until, held := pr.holds.get(p.ID, apiKey, time.Now()); held {
		if !pr.fits(ctx, until) {
			return Result{Verdict: Valid, RateLimited: true,
				Reason: "rate limited (the key works): the balance endpoint asked for no probe of this key before " + clock(until)}
		}
		if !sleepUntil(ctx, until) {
			return Result{Verdict: Unknown, Reason: transportReason(ctx, ctx.Err(), pr.cfg.Timeout, apiKey)}
		}
		waited = true
	}
	for {
		r, h := pr.once(ctx, p, apiKey)
		switch r.Status {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			r.Reason += " (this upstream has no GET /api/balance: set OLLAMA_PROBE_MODEL to probe its keys with a 1-token chat)"
		case http.StatusTooManyRequests:
			now := time.Now()
			until := now.Add(retryAfter(h, now))
			pr.holds.hold(p.ID, apiKey, until, now)
			if waited || !pr.fits(ctx, until) {
				r.Reason += "; not probed again before " + clock(until)
				return r
			}
			if !sleepUntil(ctx, until) {
				return Result{Verdict: Unknown, Reason: transportReason(ctx, ctx.Err(), pr.cfg.Timeout, apiKey)}
			}
			waited = true
			continue
		}
		return r
	}
}

// fits reports whether waiting until t leaves a quarter of the probe
// timeout for the request before ctx ends.
func (pr *Prober) fits(ctx context.Context, t time.Time) bool {
	deadline, ok := ctx.Deadline()
	return !ok || deadline.Sub(t) >= pr.cfg.Timeout/4
}

// sleepUntil waits until t and reports false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// clock is t as an operator reads it in a probe's reason.
func clock(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// holds remembers, per key, until when the balance endpoint asked not to
// be asked again, so that a key answered 429 is not probed before its
// Retry-After, by any job of this prober.
type holds struct {
	mu    sync.Mutex
	until map[string]time.Time // provider id + "\x00" + key
}

// get returns until when key is held, if it is held at now.
func (h *holds) get(providerID, apiKey string, now time.Time) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.until[providerID+"\x00"+apiKey]
	if !ok || !t.After(now) {
		return time.Time{}, false
	}
	return t, true
}

// hold keeps key from being probed before t, and forgets holds that
// have ended (a map of only the keys answered 429 in the last hour).
func (h *holds) hold(providerID, apiKey string, t, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = make(map[string]time.Time)
	}
	for k, u := range h.until {
		if !u.After(now) {
			delete(h.until, k)
		}
	}
	h.until[providerID+"\x00"+apiKey] = t
}

// retryAfter reads Retry-After (seconds or an HTTP date) as a wait from
// now, defaultHold when it is missing or unreadable, at most maxHold.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	d := defaultHold
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	}
	return min(d, maxHold)
}
