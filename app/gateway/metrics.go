package gateway

import (
	"crypto/subtle"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/metrics"
)

// serveMetrics answers Prometheus's scrape in the text format, behind
// Authorization: Bearer METRICS_TOKEN when one is configured.
func (g *Gateway) serveMetrics(c *fiber.Ctx) error {
	if want := g.cfg.MetricsToken; want != "" {
		got := c.Get(fiber.HeaderAuthorization)
		if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+want)) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "metrics need Authorization: Bearer METRICS_TOKEN"})
		}
	}
	c.Set(fiber.HeaderContentType, metrics.ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return g.metrics.WriteText(c.Response().BodyWriter())
}
