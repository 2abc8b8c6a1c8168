package admin

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/respcache"
)

// ResponseCache is what the admin API reads and clears of the response
// cache (app/respcache).
type ResponseCache interface {
	Stats(ctx context.Context, provider string) (respcache.Stats, error)
	Clear(ctx context.Context, provider string) (int, error)
}

// cacheStats is GET /admin/cache/stats.
type cacheStats struct {
	Enabled bool  `json:"enabled"`
	Entries int64 `json:"entries"`
	Hits    int64 `json:"hits"`
	Misses  int64 `json:"misses"`
	Bytes   int64 `json:"bytes"`
}

// getCacheStats reports a provider's response cache (?provider=): answers
// kept, their bytes, and lookups that hit or missed. Without CACHE_TTL the
// cache is reported disabled and empty.
func (h *Handler) getCacheStats(c *fiber.Ctx) error {
	p, err := h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	if h.cfg.Cache == nil {
		return c.JSON(cacheStats{})
	}
	s, err := h.cfg.Cache.Stats(c.UserContext(), p.Info.ID)
	if err != nil {
		h.log.Warn("admin: read the response cache", "provider", p.Info.ID, "err", err)
		return errorf(fiber.StatusServiceUnavailable, "the response cache does not answer: %v", err)
	}
	return c.JSON(cacheStats{Enabled: true, Entries: s.Entries, Hits: s.Hits, Misses: s.Misses, Bytes: s.Bytes})
}

// clearCache empties a provider's response cache, answering how many
// answers it removed.
func (h *Handler) clearCache(c *fiber.Ctx) error {
	p, err := h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	if h.cfg.Cache == nil {
		return c.JSON(fiber.Map{"cleared": 0})
	}
	n, err := h.cfg.Cache.Clear(c.UserContext(), p.Info.ID)
	if err != nil {
		h.log.Warn("admin: clear the response cache", "provider", p.Info.ID, "err", err)
		return errorf(fiber.StatusServiceUnavailable, "the response cache does not answer: %v", err)
	}
	p.announce(cluster.Cache) // other instances' in-memory caches
	h.log.Info("response cache cleared", "provider", p.Info.ID, "cleared", n)
	return c.JSON(fiber.Map{"cleared": n})
}
