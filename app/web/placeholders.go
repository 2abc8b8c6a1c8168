package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/views"
)

// The Keys, Bulk upload and Tokens pages come with the admin API's key,
// token and import handlers; until then each names the API route that
// does its job.
// TODO(issue 5): replace with the real pages.

// showKeys stands in for the keys table.
func (h *Handler) showKeys(c *fiber.Ctx) error {
	return h.showPlaceholder(c, "keys", "Keys", "The keys table (search, filters, enable / disable / delete, health check) comes next.",
		views.PlaceholderLink{Route: "GET /admin/keys/stats", Text: "keys with their usage (JSON, admin token)"})
}

// showImport stands in for the bulk upload form.
func (h *Handler) showImport(c *fiber.Ctx) error {
	return h.showPlaceholder(c, "import", "Bulk upload", "Bulk upload with validation and live progress comes next.",
		views.PlaceholderLink{Route: "POST /admin/api-keys/import", Text: "import keys (JSON, admin token)"})
}

// showTokens stands in for client token management.
func (h *Handler) showTokens(c *fiber.Ctx) error {
	return h.showPlaceholder(c, "tokens", "Tokens", "Creating, listing and deleting client tokens comes next.",
		views.PlaceholderLink{Route: "POST /admin/tokens", Text: "create a client token (JSON, admin token)"})
}

func (h *Handler) showPlaceholder(c *fiber.Ctx, nav, title, text string, links ...views.PlaceholderLink) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	return h.renderPage(c, fiber.StatusOK, h.page(c, title, nav, p),
		views.Placeholder(views.PlaceholderView{Title: title + " · " + p.Info.Label, Text: text, Links: links}))
}
