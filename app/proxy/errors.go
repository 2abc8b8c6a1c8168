package proxy

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
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

// errShortage says why no key can serve, and when the first is back.
func errShortage(s pool.Shortage) *Error {
	e := &Error{Status: fiber.StatusServiceUnavailable, Type: "server_error", Code: "no_available_keys", Message: s.Message()}
	if n := s.RetryAfter(time.Now()); n > 0 {
		e.RetryAfter = strconv.Itoa(n)
	}
	return e
}

// errDegraded answers for an open breaker: the upstream (or one model of
// it) is failing as a whole, so no key is spent until the next probe.
func errDegraded(r *health.Refusal) *Error {
	return &Error{Status: fiber.StatusServiceUnavailable, Type: "server_error", Code: "upstream_degraded",
		Message: r.Message, RetryAfter: strconv.Itoa(r.RetryAfter(time.Now()))}
}

func errBadBody(msg string) *Error {
	return &Error{Status: fiber.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_json", Message: msg}
}

// errProviderOff answers for a provider switched off at runtime or left
// out by DISABLE_*, as the original did: 503, "… is disabled by administrator".
func errProviderOff(label string) *Error {
	return &Error{Status: fiber.StatusServiceUnavailable, Type: "server_error", Code: "provider_disabled",
		Message: label + " is disabled by administrator"}
}

func errBroken(msg string) *Error {
	return &Error{Status: fiber.StatusBadGateway, Type: "upstream_error", Code: "upstream_broken", Message: msg}
}
