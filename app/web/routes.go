package web

import "github.com/gofiber/fiber/v2"

// Routes registers every page and the static assets, top to bottom.
// Dashboard pages need a session; forms that change state carry a CSRF
// token (HTMX sends it as a header).
func (h *Handler) Routes(r fiber.Router) {
	r.Get("/static/*", h.serveStatic)
	r.Get("/favicon.ico", h.redirectFavicon)

	// Public pages.
	r.Get("/", h.pageErrors, h.showHome)
	r.Get("/stats", h.pageErrors, h.showPublicStats)
	r.Get("/api-docs", h.pageErrors, h.showAPIDocs)

	// Login and logout.
	r.Get("/login", h.pageErrors, h.csrf, h.showLogin)
	r.Post("/login", h.pageErrors, h.csrf, h.login)
	r.Post("/logout", h.pageErrors, h.csrf, h.logout)

	// The dashboard.
	d := r.Group("/dashboard", h.pageErrors, h.csrf, h.requireLogin)
	d.Get("", h.showOverview)
	d.Get("/keys", h.showKeys)
	d.Post("/keys/action", h.actOnKeys)
	d.Post("/keys/health-check", h.checkKeys)
	d.Get("/jobs/:id", h.showJob)
	d.Get("/import", h.showImport)
	d.Post("/import", h.importKeys)
	d.Get("/tokens", h.showTokens)
	d.Post("/tokens", h.createToken)
	d.Post("/tokens/:id/delete", h.deleteToken)
	d.Get("/playground", h.showPlayground)
	d.Get("/playground/models", h.playgroundModels)
	d.Post("/playground/chat", h.playgroundChat)
	d.Get("/settings", h.showSettings)
	d.Post("/settings/providers/:id", h.switchProvider)
	d.Use(h.notFound) // unknown /dashboard/… paths get an HTML 404
}
