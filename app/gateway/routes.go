package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/proxy"
)

// routes registers every route of the gateway, top to bottom.
func (g *Gateway) routes(ollama, openrouter *proxy.Target) {
	app := g.app
	app.Use(g.cors()) // client routes, /health, /admin: CORS_ORIGINS and their preflights
	app.Get("/health", g.health)
	app.Get("/metrics", g.serveMetrics)
	g.templates.Routes(app) // GET /api/test-templates: before /api, which is Ollama's

	if g.cfg.EnableRateLimit {
		app.Use(g.limitIPs) // client routes only: /v1, /ollama, /openrouter, /api
	}
	g.proxy.Routes(app, ollama, openrouter)
	// Below, the admin API and the pages: each request gets a context with
	// ADMIN_REQUEST_TIMEOUT that ends when its client leaves. The client
	// routes above manage theirs in the proxy.
	app.Use(requestContext(g.cfg.AdminRequestTimeout, g.watch, g.log))
	g.api.Routes(app)
	g.pages.Routes(app) // dashboard, landing page, /static/

	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no route for "+c.Method()+" "+c.Path())
	})
}
