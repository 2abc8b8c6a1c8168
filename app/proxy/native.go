package proxy

import (
	"errors"

	"github.com/gofiber/fiber/v2"
)

// ollamaVersion is what GET /api/version reports: a recent Ollama, so
// clients that check the server's version enable their current features.
const ollamaVersion = "0.13.0"

// nativeError answers an error in Ollama's shape, {"error":"…"}.
func nativeError(c *fiber.Ctx, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	if e.RetryAfter != "" {
		c.Set(fiber.HeaderRetryAfter, e.RetryAfter)
	}
	return c.Status(e.Status).JSON(fiber.Map{"error": e.Message})
}

func version(c *fiber.Ctx) error { return c.JSON(fiber.Map{"version": ollamaVersion}) }

// runningModels answers /api/ps: a cloud pool keeps no model loaded.
func runningModels(c *fiber.Ctx) error { return c.JSON(fiber.Map{"models": []any{}}) }
