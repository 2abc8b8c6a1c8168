package proxy

import "github.com/gofiber/fiber/v2"

// Routes registers the client routes of the enabled providers; a nil
// target (disabled provider) registers nothing, so its paths are 404.
//
//	Ollama:     /v1/…  and /ollama/v1/…      → OLLAMA_BASE_URL/v1/…
//	            /api/… and /ollama/api/…     → OLLAMA_BASE_URL/api/… (Ollama's native API)
//	OpenRouter: /openrouter/v1/…             → OPENROUTER_BASE_URL/v1/…
func (p *Proxy) Routes(r fiber.Router, ollama, openrouter *Target) {
	if ollama != nil {
		p.mount(r, "/v1", ollama)
		p.mount(r, "/ollama/v1", ollama)
		p.mountNative(r, "/api", ollama)
		p.mountNative(r, "/ollama/api", ollama)
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

// mountNative registers Ollama's own API, for Ollama clients (Open WebUI's
// Ollama connection, the ollama libraries, `ollama run` with OLLAMA_HOST).
func (p *Proxy) mountNative(r fiber.Router, prefix string, t *Target) {
	for _, name := range []string{"chat", "generate", "embed", "embeddings", "show"} {
		r.Post(prefix+"/"+name, p.nativeHandler(t, "/api/"+name))
	}
	r.Get(prefix+"/tags", p.tags(t))
	r.Get(prefix+"/version", version)
	r.Get(prefix+"/ps", runningModels)
}

// route is one upstream endpoint as forward sees it.
type route struct {
	url    string
	native bool // Ollama's native API: streams unless "stream": false, NDJSON, {"error":"…"}
	cached bool // a chat route: non-stream answers go through the response cache
}

func (p *Proxy) handler(t *Target, path string) fiber.Handler {
	rt := route{url: t.Provider.BaseURL + path, cached: cachedRoute(path)}
	return func(c *fiber.Ctx) error { return p.forward(c, t, rt) }
}

// nativeHandler forwards like handler, answering errors in Ollama's shape.
func (p *Proxy) nativeHandler(t *Target, path string) fiber.Handler {
	rt := route{url: t.Provider.BaseURL + path, native: true, cached: cachedRoute(path)}
	return func(c *fiber.Ctx) error { return nativeError(c, p.forward(c, t, rt)) }
}
