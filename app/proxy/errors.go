package proxy

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// Error is an error answer in OpenAI's shape:
// {"error":{"message","type","code"}}.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    any    `json:"code"`
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string `json:"-"`
}

func (e *Error) Error() string { return fmt.Sprintf("proxy: %d %s", e.Status, e.Message) }

// errorBody is the JSON envelope.
type errorBody struct {
	Error *Error `json:"error"`
}

// WriteError sends err as an OpenAI-shaped JSON error.
func WriteError(c *fiber.Ctx, e *Error) error {
	if e.RetryAfter != "" {
		c.Set(fiber.HeaderRetryAfter, e.RetryAfter)
	}
	return c.Status(e.Status).JSON(errorBody{Error: e})
}

func errBadToken() *Error {
	return &Error{Status: fiber.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
		Message: "invalid or missing client token: send Authorization: Bearer YOUR_CLIENT_TOKEN"}
}

func errNoKeys() *Error {
	return &Error{Status: fiber.StatusServiceUnavailable, Type: "server_error", Code: "no_available_keys",
		Message: "no upstream key is available right now; try again later", RetryAfter: "5"}
}

func errBadBody(msg string) *Error {
	return &Error{Status: fiber.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_json", Message: msg}
}

func errProviderOff(t *Target) *Error {
	return &Error{Status: fiber.StatusNotFound, Type: "invalid_request_error", Code: "provider_disabled",
		Message: t.Provider.Label + " is switched off on this gateway"}
}

func errBroken(msg string) *Error {
	return &Error{Status: fiber.StatusBadGateway, Type: "upstream_error", Code: "upstream_broken", Message: msg}
}
