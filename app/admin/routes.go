package admin

import "github.com/gofiber/fiber/v2"

// Routes registers the admin API under /admin, behind the admin token;
// only the public statistics are open to everyone.
func (h *Handler) Routes(r fiber.Router) {
	// Before the group: its token check would catch every /admin path.
	r.Get("/admin/public-stats", h.getPublicStats)

	g := r.Group("/admin", h.requireAdmin)
	g.Post("/api-keys/import", h.importKeys)
	g.Post("/api-keys/import-from-txt", h.importFromText)
	g.Post("/api-keys/import-with-validation", h.importWithValidation)
	g.Post("/import", h.importAccounts)
	g.Post("/verify-key", h.verifyKey)
	g.Post("/keys/health-check", h.healthCheck)
	g.Get("/jobs/:id", h.getJob)
	g.Get("/jobs/:id/events", h.jobEvents)
	g.Get("/api-keys", h.listKeys)
	g.Post("/api-keys", h.createKey)
	g.Delete("/api-keys", h.deleteKeys)
	g.Delete("/api-keys/:key", h.deleteKey)
	g.Post("/keys/enable", h.enableKey)
	g.Post("/keys/disable", h.disableKey)
	g.Post("/tokens", h.createToken)
	g.Get("/tokens", h.listTokens)
	g.Delete("/tokens", h.deleteTokens)
	g.Delete("/tokens/:id", h.deleteToken)
	g.Get("/client-tokens", h.listClientTokens)
	g.Post("/client-tokens", h.createClientToken)
	g.Delete("/client-tokens/:token", h.deleteClientToken)
	g.Get("/providers", h.listProviders)
	g.Post("/providers/:id/enable", h.enableProvider)
	g.Post("/providers/:id/disable", h.disableProvider)
	g.Get("/cache/stats", h.getCacheStats)
	g.Post("/cache/clear", h.clearCache)
	g.Get("/stats", h.getStats)
	g.Get("/stats/hourly", h.getHourly)
	g.Get("/keys/stats", h.listKeyStats)
}
