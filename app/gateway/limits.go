package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/keypool/keypool/app/metrics"
	"github.com/keypool/keypool/app/proxy"
	"github.com/keypool/keypool/app/ratelimit"
)

// redisTimeout bounds one Redis call of the rate limiter: a Redis that
// hangs costs a client request at most this once, then limits fall back
// to memory until it answers again.
const redisTimeout = 500 * time.Millisecond

// limits is the gateway's rate limiting: one limiter for client IPs and
// client tokens, on Redis when REDIS_URL is set (in memory otherwise, and
// while Redis is unreachable).
type limits struct {
	limiter ratelimit.Limiter
	redis   *redis.Client    // nil without REDIS_URL
	shared  *ratelimit.Redis // the limiter on redis, nil without it
	proxies ratelimit.Proxies
	ip      ratelimit.Limit
}

// buildLimits connects to Redis when configured. A Redis that does not
// answer at start is not fatal: limits start in memory and move to Redis
// when it answers.
func (g *Gateway) buildLimits(ctx context.Context) error {
	l := &g.limits
	l.proxies = ratelimit.Proxies(g.cfg.TrustedProxies)
	l.ip = ratelimit.Limit{Count: int64(g.cfg.RateLimitRequests), Window: g.cfg.RateLimitWindow}
	local := ratelimit.NewMemory(nil)
	if g.cfg.RedisURL == "" {
		l.limiter = local
		return nil
	}
	opt, err := redis.ParseURL(g.cfg.RedisURL) // redis:// and rediss:// (TLS)
	if err != nil {
		return fmt.Errorf("config: REDIS_URL: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = redisTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = redisTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = redisTimeout
	}
	l.redis = redis.NewClient(opt)
	ping := func(ctx context.Context) error { return l.redis.Ping(ctx).Err() }
	l.shared = ratelimit.NewRedis(l.redis)
	fb := ratelimit.NewFallback(l.shared, local, ping, g.log)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := ping(pctx); err != nil {
		fb.MarkDown(err)
	} else {
		g.log.Info("rate limits shared through redis", "addr", opt.Addr)
	}
	l.limiter = fb
	return nil
}

// close stops the Redis limiter's worker and closes its client.
func (l *limits) close() {
	if l.shared != nil {
		l.shared.Close()
	}
	if l.redis != nil {
		_ = l.redis.Close()
	}
}

// limitIPs is the per-client-IP limit of the client routes, mounted when
// ENABLE_RATE_LIMIT is on: RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW. Every
// answer carries the X-RateLimit headers; a refused request gets a 429 in
// its route's error shape and reaches no key.
func (g *Gateway) limitIPs(c *fiber.Ctx) error {
	if !isClientPath(c.Path()) {
		return c.Next()
	}
	l := &g.limits
	r, err := l.limiter.Allow(c.UserContext(), "ip:"+l.proxies.RequestIP(c).String(), l.ip, 1)
	if err != nil {
		return c.Next() // a failing limiter never fails a client request
	}
	proxy.SetRateLimitHeaders(c, r)
	if r.Allowed {
		return c.Next()
	}
	g.metrics.RateLimited(metrics.ScopeIP)
	e := proxy.RateLimitError(r, "")
	e.Message = fmt.Sprintf("rate limit reached: %d requests per %s from one address; try again in %s s",
		l.ip.Count, l.ip.Window, e.RetryAfter)
	if isNativePath(c.Path()) {
		c.Set(fiber.HeaderRetryAfter, e.RetryAfter)
		return c.Status(e.Status).JSON(fiber.Map{"error": e.Message})
	}
	return proxy.WriteError(c, e)
}

// isClientPath says whether a path is a client route (/v1, /ollama,
// /openrouter, /api): the routes the IP limit applies to.
func isClientPath(p string) bool {
	for _, prefix := range [...]string{"/v1", "/ollama", "/openrouter", "/api"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && (rest == "" || rest[0] == '/') {
			return true
		}
	}
	return false
}

// isNativePath says whether a path is Ollama's native API, whose errors
// are {"error":"…"}.
func isNativePath(p string) bool {
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/ollama/api/")
}
