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
	g.Post("/tokens", h.createToken)
	g.Get("/stats", st.getStats)
	g.Get("/stats/hourly", st.getHourly)
	g.Get("/keys/stats", st.listKeyStats)
}
