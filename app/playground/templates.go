// Package playground holds what the pool's playground offers: ready-made
// prompts for trying a provider, served as GET /api/test-templates (the
// original's route and fields) and shown by the dashboard. They name no
// model: the caller picks one from the live list.
package playground

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// Template is one ready-made prompt, in the original's field names.
type Template struct {
	ID           string  `json:"id"`
	Label        string  `json:"label"`
	Description  string  `json:"description"`
	SystemPrompt string  `json:"systemPrompt"`
	UserMessage  string  `json:"userMessage"`
	Temperature  float64 `json:"temperature"`
	Stream       bool    `json:"stream"`
}

//go:embed templates.json
var templatesJSON []byte

// Templates returns the ready-made prompts, in the order they are offered.
func Templates() ([]Template, error) {
	var out []Template
	if err := json.Unmarshal(templatesJSON, &out); err != nil {
		return nil, fmt.Errorf("playground: templates.json: %w", err)
	}
	return out, nil
}

// Handler serves the templates.
type Handler struct {
	body []byte // {"templates":[…]}, encoded once
}

// New reads the embedded templates once.
func New() (*Handler, error) {
	ts, err := Templates()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string][]Template{"templates": ts})
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	return &Handler{body: body}, nil
}

// Routes registers GET /api/test-templates, which needs no token. It must
// come before Ollama's native /api routes.
func (h *Handler) Routes(r fiber.Router) {
	r.Get("/api/test-templates", h.listTemplates)
}

func (h *Handler) listTemplates(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(h.body)
}
