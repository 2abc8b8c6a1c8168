package admin

import "github.com/gofiber/fiber/v2"

// cacheStats is GET /admin/cache/stats.
type cacheStats struct {
	Enabled bool  `json:"enabled"`
	Entries int64 `json:"entries"`
	Hits    int64 `json:"hits"`
	Misses  int64 `json:"misses"`
	Bytes   int64 `json:"bytes"`
}

// getCacheStats reports the response cache. There is none yet: it comes
// with the Redis/cache issue, and until then the cache is reported
// disabled and empty, so that the dashboard and scripts already work.
func (h *Handler) getCacheStats(c *fiber.Ctx) error {
	if _, err := h.provider(c.Query("provider")); err != nil {
		return err
	}
	return c.JSON(cacheStats{})
}

// clearCache empties the response cache: nothing to clear until the
// Redis/cache issue lands.
func (h *Handler) clearCache(c *fiber.Ctx) error {
	if _, err := h.provider(c.Query("provider")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cleared": 0})
}
