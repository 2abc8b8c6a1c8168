package gateway

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/proxy"
)

// routes registers every route of the gateway, top to bottom.
func (g *Gateway) routes(ollama, openrouter *proxy.Target) {
	app := g.app
	app.Get("/health", g.health)

	g.proxy.Routes(app, ollama, openrouter)
	admin.New(admin.Config{
		AdminToken:          g.cfg.AdminToken,
		MaxImportBytes:      g.cfg.MaxImportBytes,
		ValidateConcurrency: g.cfg.ValidateConcurrency,
		ProbeTimeout:        g.cfg.ProbeTimeout,
		OllamaProbeModel:    g.cfg.OllamaProbeModel,
		PublicStatsTTL:      g.cfg.PublicStatsTTL,
	}, g.providers, g.log).Routes(app)

	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no route for "+c.Method()+" "+c.Path())
	})
}
