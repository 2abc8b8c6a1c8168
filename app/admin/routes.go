package admin

import "github.com/gofiber/fiber/v2"

// Routes registers the admin API under /admin, behind the admin token.
func (h *Handler) Routes(r fiber.Router) {
	g := r.Group("/admin", h.requireAdmin)
	g.Post("/api-keys/import", h.importKeys)
	g.Post("/tokens", h.createToken)
}
