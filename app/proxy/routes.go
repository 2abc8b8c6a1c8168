package proxy

import "github.com/gofiber/fiber/v2"

// Routes registers the client routes of the enabled providers; a nil
// target (disabled provider) registers nothing, so its paths are 404.
//
//	Ollama:     /v1/…  and /ollama/v1/…      → OLLAMA_BASE_URL/v1/…
//	OpenRouter: /openrouter/v1/…             → OPENROUTER_BASE_URL/v1/…
func (p *Proxy) Routes(r fiber.Router, ollama, openrouter *Target) {
	if ollama != nil {
		p.mount(r, "/v1", ollama)
		p.mount(r, "/ollama/v1", ollama)
	}
	if openrouter != nil {
		p.mount(r, "/openrouter/v1", openrouter)
	}
}

func (p *Proxy) mount(r fiber.Router, prefix string, t *Target) {
	r.Post(prefix+"/chat/completions", p.handler(t, "/v1/chat/completions"))
	r.Post(prefix+"/completions", p.handler(t, "/v1/completions"))
	r.Post(prefix+"/embeddings", p.handler(t, "/v1/embeddings"))
	r.Get(prefix+"/models", p.handler(t, "/v1/models"))
}

func (p *Proxy) handler(t *Target, path string) fiber.Handler {
	url := t.Provider.BaseURL + path
	return func(c *fiber.Ctx) error { return p.forward(c, t, url) }
}
