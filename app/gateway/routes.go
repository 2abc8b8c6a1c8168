package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/proxy"
)

// routes registers every route of the gateway, top to bottom.
func (g *Gateway) routes(ollama, openrouter *proxy.Target) {
	app := g.app
	app.Get("/health", g.health)
	app.Get("/metrics", g.serveMetrics)

	if g.cfg.EnableRateLimit {
		app.Use(g.limitIPs) // client routes only: /v1, /ollama, /openrouter, /api
	}
	g.proxy.Routes(app, ollama, openrouter)
	g.api.RoutesSharing(app, g.public)
	g.pages.Routes(app) // dashboard, landing page, /static/

	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no route for "+c.Method()+" "+c.Path())
	})
}
