package proxy

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/ratelimit"
	"github.com/keypool/keypool/app/tokens"
)

// Limiter spends per-token budgets (app/ratelimit); a failing limiter
// never refuses a request.
type Limiter interface {
	Allow(ctx context.Context, key string, l ratelimit.Limit, n int64) (ratelimit.Result, error)
	Charge(ctx context.Context, key string, l ratelimit.Limit, n int64) error
}

// chargeTimeout bounds charging a token's usage after its request.
const chargeTimeout = time.Second

// limitToken applies a client token's per-minute limits before a key is
// chosen: one request of its rpm budget, and a tpm budget not yet spent
// (tokens are charged when the request is done and its usage known).
func (p *Proxy) limitToken(c *fiber.Ctx, t *Target, tok tokens.Token) *Error {
	if p.cfg.Limiter == nil {
		return nil
	}
	ctx := c.UserContext()
	if tok.RPM > 0 {
		r, err := p.cfg.Limiter.Allow(ctx, tokenLimitKey(t, tok, "rpm"), ratelimit.PerMinute(tok.RPM), 1)
		if err == nil {
			setTighterHeaders(c, r)
			if !r.Allowed {
				t.observer().RateLimited("token_rpm")
				return RateLimitError(r, fmt.Sprintf("this client token may send %d requests per minute; try again later", tok.RPM))
			}
		}
	}
	if tok.TPM > 0 {
		r, err := p.cfg.Limiter.Allow(ctx, tokenLimitKey(t, tok, "tpm"), ratelimit.PerMinute(tok.TPM), 0)
		if err == nil && !r.Allowed {
			t.observer().RateLimited("token_tpm")
			return RateLimitError(r, fmt.Sprintf("this client token may use %d tokens per minute; try again later", tok.TPM))
		}
	}
	return nil
}

// chargeTokens spends a finished request's tokens from its client token's
// tpm budget.
func (p *Proxy) chargeTokens(t *Target, tok tokens.Token, used int64) {
	if p.cfg.Limiter == nil || tok.TPM <= 0 || used <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), chargeTimeout)
	defer cancel()
	_ = p.cfg.Limiter.Charge(ctx, tokenLimitKey(t, tok, "tpm"), ratelimit.PerMinute(tok.TPM), used)
}

func tokenLimitKey(t *Target, tok tokens.Token, what string) string {
	return "token:" + t.Provider.ID + ":" + tok.LimitKey + ":" + what
}

// RateLimitError is the 429 a client gets from one of Keypool's own limits.
func RateLimitError(r ratelimit.Result, msg string) *Error {
	return &Error{Status: fiber.StatusTooManyRequests, Type: "rate_limit_error", Code: "rate_limited",
		Message: msg, RetryAfter: strconv.FormatInt(ceilSeconds(r.RetryAfter), 10)}
}

// SetRateLimitHeaders describes a limit to the client: X-RateLimit-Limit,
// X-RateLimit-Remaining, and X-RateLimit-Reset in seconds from now.
func SetRateLimitHeaders(c *fiber.Ctx, r ratelimit.Result) {
	var b [20]byte
	h := &c.Response().Header
	h.SetBytesV("X-RateLimit-Limit", strconv.AppendInt(b[:0], r.Limit, 10))
	h.SetBytesV("X-RateLimit-Remaining", strconv.AppendInt(b[:0], r.Remaining, 10))
	h.SetBytesV("X-RateLimit-Reset", strconv.AppendInt(b[:0], ceilSeconds(r.Reset), 10))
}

// setTighterHeaders sends a token limit's headers unless an IP limit with
// fewer requests left already set them: the client sees the nearer limit.
func setTighterHeaders(c *fiber.Ctx, r ratelimit.Result) {
	if cur := c.Response().Header.Peek("X-RateLimit-Remaining"); len(cur) > 0 && r.Allowed {
		if n, err := strconv.ParseInt(string(cur), 10, 64); err == nil && n <= r.Remaining {
			return
		}
	}
	SetRateLimitHeaders(c, r)
}

// ceilSeconds rounds up to whole seconds, at least 1.
func ceilSeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}
