package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/views"
)

// deleteToken deletes a client token through the admin API. HTMX has
// asked first (hx-confirm) and gets an empty answer, which removes the
// row, and a toast; without JavaScript a confirmation page asks, and its
// form (confirm=yes) deletes and goes back to the list.
func (h *Handler) deleteToken(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	id, page := c.Params("id"), "/dashboard/tokens?provider="+p.Info.ID
	name, err := h.tokenName(c, p.Info.ID, id)
	if err != nil {
		return err
	}
	if !isHTMX(c) && c.FormValue("confirm") != "yes" {
		v := views.ConfirmView{Title: "Delete the token “" + name + "”?",
			Message: "Clients that use it are refused from then on. This cannot be undone.",
			Action:  c.OriginalURL(), Button: "Delete token", Cancel: page}
		return h.renderPage(c, fiber.StatusOK, h.page(c, "Delete token", "tokens", p), views.Confirm(v))
	}
	if _, err := h.deps.Tokens.DeleteTokens(c.UserContext(), p.Info.ID, "", id); err != nil {
		return err
	}
	msg := "Token “" + name + "” deleted."
	if !isHTMX(c) {
		h.setFlash(c, "ok", msg)
		return c.Redirect(page, fiber.StatusSeeOther)
	}
	toast(c, "ok", msg)
	c.Status(fiber.StatusOK) // the empty answer removes the row
	return nil
}

// tokenName finds the name of the token of id: a 404 if there is none.
func (h *Handler) tokenName(c *fiber.Ctx, provider, id string) (string, error) {
	list, err := h.deps.Tokens.ListTokens(c.UserContext(), provider)
	if err != nil {
		return "", err
	}
	for _, t := range list {
		if t.ID == id {
			return t.Name, nil
		}
	}
	return "", fiber.NewError(fiber.StatusNotFound, "There is no such client token (it may have been deleted already).")
}
