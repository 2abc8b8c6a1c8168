package proxy

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/provider"
)

// Routes registers the client routes of both providers. A nil target is a
// provider left out by DISABLE_*: its prefixes answer 503 "… is disabled by
// administrator", as a provider switched off at runtime does, rather than
// 404, so clients learn why.
//
//	Ollama:     /v1/…  and /ollama/v1/…      → OLLAMA_BASE_URL/v1/…
//	            /api/… and /ollama/api/…     → OLLAMA_BASE_URL/api/… (Ollama's native API)
//	OpenRouter: /openrouter/v1/…             → OPENROUTER_BASE_URL/v1/…
//
// Routes of the gateway's own under /api (GET /api/test-templates) must be
// registered before, or a disabled Ollama answers them too.
func (p *Proxy) Routes(r fiber.Router, ollama, openrouter *Target) {
	if ollama != nil {
		p.mount(r, "/v1", ollama)
		p.mount(r, "/ollama/v1", ollama)
		p.mountNative(r, "/api", ollama)
		p.mountNative(r, "/ollama/api", ollama)
	} else {
		label := provider.New(provider.Ollama, "").Label
		disabled(r, "/v1", label, false)
		disabled(r, "/ollama/api", label, true)
		disabled(r, "/ollama", label, false)
		disabled(r, "/api", label, true)
	}
	if openrouter != nil {
		p.mount(r, "/openrouter/v1", openrouter)
	} else {
		disabled(r, "/openrouter", provider.New(provider.OpenRouter, "").Label, false)
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
	r.Get(prefix+"/version", whenEnabled(t, version))
	r.Get(prefix+"/ps", whenEnabled(t, runningModels))
}

// route is one upstream endpoint as forward sees it.
type route struct {
	url    string
	native bool // Ollama's native API: streams unless "stream": false, NDJSON, {"error":"…"}
	cached bool // a chat route: non-stream answers go through the response cache
	models bool // a model list: open without a token unless MODELS_REQUIRE_TOKEN
	trial  bool // the dashboard's playground: no client token, the answer names its key (see Trial)
}

func (p *Proxy) handler(t *Target, path string) fiber.Handler {
	rt := route{url: t.Provider.BaseURL + path, cached: cachedRoute(path), models: path == "/v1/models"}
	return func(c *fiber.Ctx) error { return p.forward(c, t, rt) }
}

// nativeHandler forwards like handler, answering errors in Ollama's shape.
func (p *Proxy) nativeHandler(t *Target, path string) fiber.Handler {
	rt := route{url: t.Provider.BaseURL + path, native: true, cached: cachedRoute(path)}
	return func(c *fiber.Ctx) error { return nativeError(c, p.forward(c, t, rt)) }
}

// openWithoutToken reports whether a request that carries no valid token
// may still be served: a model list, asked with no Authorization at all,
// as the original answered it (model pickers list models before a token
// is entered). A token that is sent is always checked.
func (p *Proxy) openWithoutToken(c *fiber.Ctx, rt route) bool {
	if rt.trial {
		return true
	}
	return rt.models && !p.cfg.ModelsRequireToken && len(c.Request().Header.Peek(fiber.HeaderAuthorization)) == 0
}

// disabled answers every request under a provider's prefix while
// DISABLE_* leaves it out; native: in Ollama's {"error":"…"} shape. Fiber
// matches a Use prefix without a segment boundary ("/api" would take
// "/api-docs"), so the handler checks it.
func disabled(r fiber.Router, prefix, label string, native bool) {
	r.Use(prefix, func(c *fiber.Ctx) error {
		if rest := strings.TrimPrefix(c.Path(), prefix); rest != "" && rest[0] != '/' {
			return c.Next()
		}
		if native {
			return nativeError(c, errProviderOff(label))
		}
		return errProviderOff(label)
	})
}

// whenEnabled answers with h while the target's provider is switched on.
func whenEnabled(t *Target, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !t.Provider.Enabled() {
			return nativeError(c, errProviderOff(t.Provider.Label))
		}
		return h(c)
	}
}
