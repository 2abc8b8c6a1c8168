package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// listProviders is GET /admin/providers: every provider with its switch
// and key counts.
func (h *Handler) listProviders(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"providers": h.ops.ListProviders()})
}

// enableProvider is POST /admin/providers/:id/enable.
func (h *Handler) enableProvider(c *fiber.Ctx) error { return h.switchProvider(c, true) }

// disableProvider is POST /admin/providers/:id/disable: its client routes
// answer 503 "… is disabled by administrator" until it is enabled again, across restarts.
func (h *Handler) disableProvider(c *fiber.Ctx) error { return h.switchProvider(c, false) }

func (h *Handler) switchProvider(c *fiber.Ctx, on bool) error {
	view, err := h.ops.SwitchProvider(c.UserContext(), c.Params("id"), on)
	if err != nil {
		return err
	}
	return c.JSON(view)
}

// cacheStatsAnswer is the response cache's figures with the original's
// totalEntries and byType (Keypool keeps one type: answers).
type cacheStatsAnswer struct {
	operator.CacheStats
	TotalEntries int64            `json:"totalEntries"`
	ByType       map[string]int64 `json:"byType"`
}

// getCacheStats is GET /admin/cache/stats?provider=: the response cache's
// answers kept, their bytes, and lookups that hit or missed.
func (h *Handler) getCacheStats(c *fiber.Ctx) error {
	out, err := h.ops.CacheStats(c.UserContext(), c.Query("provider"))
	if err != nil {
		return err
	}
	return c.JSON(cacheStatsAnswer{CacheStats: out, TotalEntries: out.Entries, ByType: map[string]int64{"response": out.Entries}})
}

type clearCacheRequest struct {
	Pattern  string `json:"pattern"` // the original's key prefix: Keypool's cache has no named keys, so the provider's cache is cleared
	Scope    string `json:"scope"`   // "all": every provider
	Provider string `json:"provider"`
}

// clearCache is POST /admin/cache/clear?provider= {"scope"?:"all"}: it
// empties the provider's cache (every provider's with scope "all") and
// answers how many answers it removed, with the original's
// {success, message}.
func (h *Handler) clearCache(c *fiber.Ctx) error {
	var in clearCacheRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	ids := []string{providerOf(c, in.Provider)}
	if in.Scope == "all" {
		ids = h.ops.ProviderIDs()
	}
	total := 0
	for _, id := range ids {
		n, err := h.ops.ClearCache(c.UserContext(), id)
		if err != nil {
			return err
		}
		total += n
	}
	msg := "cleared the provider's cache"
	if in.Scope == "all" {
		msg = "cleared every provider's cache"
	}
	return c.JSON(fiber.Map{"cleared": total, "success": true, "message": msg})
}
