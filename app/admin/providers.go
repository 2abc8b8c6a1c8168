package admin

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
)

// knownProviders is every provider Keypool can serve, in listing order.
var knownProviders = []string{provider.Ollama, provider.OpenRouter}

// providerView is one provider in GET /admin/providers. configured is
// false when DISABLE_* left it out; enabled is the runtime switch.
type providerView struct {
	ID         string       `json:"id"`
	Label      string       `json:"label"`
	Enabled    bool         `json:"enabled"`
	Configured bool         `json:"configured"`
	BaseURL    string       `json:"base_url"`
	Keys       *pool.Counts `json:"keys"`
}

func (h *Handler) providerView(id string) providerView {
	p, ok := h.providers[id]
	if !ok {
		return providerView{ID: id, Label: provider.New(id, "").Label}
	}
	counts := p.Pool.Counts()
	return providerView{ID: id, Label: p.Info.Label, Enabled: p.Info.Enabled(), Configured: true,
		BaseURL: p.Info.BaseURL, Keys: &counts}
}

// listProviders answers every provider with its switch and key counts.
func (h *Handler) listProviders(c *fiber.Ctx) error {
	out := make([]providerView, len(knownProviders))
	for i, id := range knownProviders {
		out[i] = h.providerView(id)
	}
	return c.JSON(fiber.Map{"providers": out})
}

// enableProvider is POST /admin/providers/:id/enable.
func (h *Handler) enableProvider(c *fiber.Ctx) error { return h.switchProvider(c, true) }

// disableProvider is POST /admin/providers/:id/disable: its client routes
// answer 404 provider_disabled until it is enabled again, across restarts.
func (h *Handler) disableProvider(c *fiber.Ctx) error { return h.switchProvider(c, false) }

// switchProvider persists the runtime switch first, then flips it, so that
// a failed write changes nothing. A provider DISABLE_* removed has no
// tables or pool to switch on: 409.
func (h *Handler) switchProvider(c *fiber.Ctx, on bool) error {
	id := c.Params("id")
	p, ok := h.providers[id]
	if !ok {
		if id == provider.Ollama || id == provider.OpenRouter {
			env := "DISABLE_" + strings.ToUpper(id)
			return errorf(fiber.StatusConflict, "provider %q is turned off by %s=true: change %s and restart Keypool", id, env, env)
		}
		return errorf(fiber.StatusBadRequest, "unknown provider %q: use ollama or openrouter", id)
	}
	if err := p.Switch(c.UserContext(), on); err != nil {
		return err
	}
	h.log.Info("admin: provider switched", "provider", id, "enabled", on)
	return c.JSON(h.providerView(id))
}
