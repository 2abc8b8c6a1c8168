package admin

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/gofiber/fiber/v2"
)

// decodeBody reads a JSON request body into v (an empty body leaves v
// alone); a malformed one is a 400 naming the byte where parsing stopped.
func decodeBody(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	err := json.Unmarshal(body, v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syn):
		return errorf(fiber.StatusBadRequest, "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		return errorf(fiber.StatusBadRequest, "malformed JSON at byte %d: %v", typ.Offset, err)
	}
	return errorf(fiber.StatusBadRequest, "malformed JSON: %v", err)
}

// providerOf is ?provider=, else the body's "provider".
func providerOf(c *fiber.Ctx, fromBody string) string {
	if p := c.Query("provider"); p != "" {
		return p
	}
	return fromBody
}
