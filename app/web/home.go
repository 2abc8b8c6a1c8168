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
