package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/views"
)

// showHome sends a logged-in admin to the dashboard and shows everyone
// else the landing page.
func (h *Handler) showHome(c *fiber.Ctx) error {
	if h.loggedIn(c) {
		return c.Redirect("/dashboard", fiber.StatusSeeOther)
	}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "API key pool gateway", "", nil), views.Home())
}

// showPublicStats stands in for the public statistics page (issue 6).
// TODO(issue 6): the real page: figures, charts, top models, auto-refresh.
func (h *Handler) showPublicStats(c *fiber.Ctx) error {
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Statistics", "", nil), views.Placeholder(views.PlaceholderView{
		Title: "Statistics",
		Text:  "The public statistics page is on its way. Meanwhile the same figures are served as JSON.",
		Links: []views.PlaceholderLink{{Route: "GET /admin/public-stats", Text: "the public figures as JSON", URL: "/admin/public-stats"}},
	}))
}

// showAPIDocs stands in for the API documentation page (issue 6).
// TODO(issue 6): every route of the router's table with examples.
func (h *Handler) showAPIDocs(c *fiber.Ctx) error {
	return h.renderPage(c, fiber.StatusOK, h.page(c, "API documentation", "", nil), views.Placeholder(views.PlaceholderView{
		Title: "API documentation",
		Text: "The API documentation page is on its way. OpenAI SDK base URLs: /v1 (Ollama) and /openrouter/v1 (OpenRouter), " +
			"with a client token as the API key.",
	}))
}
