package admin

import "github.com/gofiber/fiber/v2"

// listProviders is GET /admin/providers: every provider with its switch
// and key counts.
func (h *Handler) listProviders(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"providers": h.ops.ListProviders()})
}

// enableProvider is POST /admin/providers/:id/enable.
func (h *Handler) enableProvider(c *fiber.Ctx) error { return h.switchProvider(c, true) }

// disableProvider is POST /admin/providers/:id/disable: its client routes
// answer 404 provider_disabled until it is enabled again, across restarts.
func (h *Handler) disableProvider(c *fiber.Ctx) error { return h.switchProvider(c, false) }

func (h *Handler) switchProvider(c *fiber.Ctx, on bool) error {
	view, err := h.ops.SwitchProvider(c.UserContext(), c.Params("id"), on)
	if err != nil {
		return err
	}
	return c.JSON(view)
}

// getCacheStats is GET /admin/cache/stats?provider=: the response cache's
// answers kept, their bytes, and lookups that hit or missed.
func (h *Handler) getCacheStats(c *fiber.Ctx) error {
	out, err := h.ops.CacheStats(c.UserContext(), c.Query("provider"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// clearCache is POST /admin/cache/clear?provider=: it answers how many
// answers it removed.
func (h *Handler) clearCache(c *fiber.Ctx) error {
	n, err := h.ops.ClearCache(c.UserContext(), c.Query("provider"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cleared": n})
}
