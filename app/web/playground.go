package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/playground"
	"github.com/keypool/keypool/views"
)

// Trial is how the playground reaches a provider: the proxy's handlers for
// a chat request and the model list, through the same pool as a client
// (proxy.Trial). They answer JSON, their errors included.
type Trial struct {
	Chat, Models fiber.Handler
}

// showPlayground is the page to try the pool from the dashboard.
func (h *Handler) showPlayground(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	v := views.PlaygroundView{Label: p.Info.Label, Templates: h.templates,
		ChatURL:   "/dashboard/playground/chat?provider=" + p.Info.ID,
		ModelsURL: "/dashboard/playground/models?provider=" + p.Info.ID}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Playground · "+p.Info.Label, "playground", p), views.Playground(v))
}

// playgroundTemplates are the ready-made prompts as the page offers them,
// read once at start.
func playgroundTemplates() ([]views.PlaygroundTemplate, error) {
	ts, err := playground.Templates()
	if err != nil {
		return nil, err
	}
	out := make([]views.PlaygroundTemplate, 0, len(ts))
	for _, t := range ts {
		out = append(out, views.PlaygroundTemplate{ID: t.ID, Label: t.Label, Description: t.Description,
			System: t.SystemPrompt, User: t.UserMessage, Temperature: strconv.FormatFloat(t.Temperature, 'f', -1, 64), Stream: t.Stream})
	}
	return out, nil
}

// playgroundChat forwards the page's chat request through the pool.
func (h *Handler) playgroundChat(c *fiber.Ctx) error {
	t, err := h.trial(c)
	if err != nil {
		return err
	}
	return t.Chat(c)
}

// playgroundModels answers the provider's live model list.
func (h *Handler) playgroundModels(c *fiber.Ctx) error {
	t, err := h.trial(c)
	if err != nil {
		return err
	}
	return t.Models(c)
}

// trial is the ?provider='s way through the pool.
func (h *Handler) trial(c *fiber.Ctx) (Trial, error) {
	p, err := h.provider(c)
	if err != nil {
		return Trial{}, err
	}
	t, ok := h.deps.Playground[p.Info.ID]
	if !ok || t.Chat == nil || t.Models == nil {
		return Trial{}, fiber.NewError(fiber.StatusNotFound, "The playground is not available for "+p.Info.Label+".")
	}
	return t, nil
}
