package web

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// switchProvider turns a provider's client routes on or off at runtime,
// as POST /admin/providers/:id/enable|disable does: the switch is
// persisted first, so a failed write changes nothing. HTMX gets the
// switch's row back with a toast; a plain form goes back to the settings.
func (h *Handler) switchProvider(c *fiber.Ctx) error {
	id := c.Params("id")
	p, ok := h.deps.Providers[id]
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "The provider "+strconv.Quote(id)+" is not enabled in this gateway's configuration.")
	}
	on, err := strconv.ParseBool(c.FormValue("on"))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "The switch must be on=true or on=false.")
	}
	if err := p.Switch(c.UserContext(), on); err != nil {
		return err
	}
	h.deps.Log.Info("web: provider switched", "provider", id, "enabled", on)
	msg := p.Info.Label + " is switched off: its client routes answer 503 (disabled by administrator)."
	if on {
		msg = p.Info.Label + " is switched on."
	}
	if isHTMX(c) {
		trigger, _ := json.Marshal(map[string]any{"toast": map[string]string{"message": msg, "kind": "ok"}})
		c.Set("HX-Trigger", string(trigger))
		return render(c, fiber.StatusOK, views.SwitchUpdate(h.providerSwitch(id), h.pageProviderLinks(c)))
	}
	h.setFlash(c, "ok", msg)
	return c.Redirect("/dashboard/settings?provider="+id, fiber.StatusSeeOther)
}

// pageProviderLinks is the provider switch of the page an HTMX request
// came from (HX-Current-URL), so that it can be refreshed out of band.
func (h *Handler) pageProviderLinks(c *fiber.Ctx) []components.Link {
	u, err := url.Parse(c.Get("HX-Current-URL"))
	if err != nil || !strings.HasPrefix(u.Path, "/dashboard") || len(h.providers) == 0 {
		return nil
	}
	current := u.Query().Get("provider")
	if _, ok := h.deps.Providers[current]; !ok {
		current = h.providers[0].Info.ID
	}
	return h.providerLinksAt(u.Path, u.Query(), current)
}
