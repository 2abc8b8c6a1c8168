package gateway

import "github.com/keypool/keypool/app/respcache"

// buildCache makes the response cache when CACHE_TTL is set: on the Redis
// of REDIS_URL (the rate limiter's client), shared by every instance, or
// in this instance's memory. nil: no cache.
func (g *Gateway) buildCache() respcache.Cache {
	if g.cfg.CacheTTL <= 0 {
		return nil
	}
	if rdb := g.limits.redis; rdb != nil {
		g.log.Info("response cache on redis", "ttl", g.cfg.CacheTTL.String(), "cache_all", g.cfg.CacheAll)
		return respcache.NewRedis(rdb, respcache.RedisOptions{TTL: g.cfg.CacheTTL, Log: g.log})
	}
	g.log.Info("response cache in memory", "ttl", g.cfg.CacheTTL.String(), "max_bytes", g.cfg.CacheMaxBytes,
		"cache_all", g.cfg.CacheAll)
	return respcache.NewMemory(respcache.MemoryOptions{TTL: g.cfg.CacheTTL, MaxBytes: int64(g.cfg.CacheMaxBytes)})
}
