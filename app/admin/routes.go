package admin

import "github.com/gofiber/fiber/v2"

// Routes registers the admin API under /admin, behind the admin token;
// only the public statistics are open to everyone.
func (h *Handler) Routes(r fiber.Router) { h.routes(r, newStatsRoutes(h)) }

func (h *Handler) routes(r fiber.Router, st *statsRoutes) {
	// Before the group: its token check would catch every /admin path.
	r.Get("/admin/public-stats", st.getPublicStats)

	g := r.Group("/admin", h.requireAdmin)
	g.Post("/api-keys/import", h.importKeys)
	g.Post("/api-keys/import-from-txt", h.importFromText)
	jr, kr := h.shared() // probes in background jobs, followed through /jobs; keys by value or opaque id
	g.Post("/api-keys/import-with-validation", jr.importWithValidation)
	g.Post("/keys/health-check", jr.healthCheck)
	g.Get("/jobs/:id", jr.getJob)
	g.Get("/jobs/:id/events", jr.jobEvents)
	g.Get("/api-keys", kr.listKeys)
	g.Post("/api-keys", kr.createKey)
	g.Delete("/api-keys", kr.deleteKeys)
	g.Delete("/api-keys/:key", kr.deleteKey)
	g.Post("/keys/enable", kr.enableKey)
	g.Post("/keys/disable", kr.disableKey)
	g.Post("/tokens", h.createToken)
	g.Get("/tokens", h.listTokens)
	g.Delete("/tokens", h.deleteTokens)
	g.Delete("/tokens/:id", h.deleteToken)
	g.Get("/providers", h.listProviders)
	g.Post("/providers/:id/enable", h.enableProvider)
	g.Post("/providers/:id/disable", h.disableProvider)
	g.Get("/cache/stats", h.getCacheStats)
	g.Post("/cache/clear", h.clearCache)
	g.Get("/stats", st.getStats)
	g.Get("/stats/hourly", st.getHourly)
	g.Get("/keys/stats", st.listKeyStats)
}
