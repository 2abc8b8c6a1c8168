package proxy

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/tokens"
)

// errDeactivated refuses a known client token whose user the original
// project deactivated (ollama_api_users.is_active = false): adopting its
// database must not unban anyone.
func errDeactivated() *Error {
	return &Error{Status: fiber.StatusForbidden, Type: "invalid_request_error", Code: "token_deactivated",
		Message: "this client token's user is deactivated: ask the administrator to reactivate the account"}
}

// errToken says why a client token was refused: 403 when its user is
// deactivated, 401 when it is unknown, missing or expired.
func errToken(set *tokens.Set, token string) *Error {
	if set.Deactivated(token) {
		return errDeactivated()
	}
	return errBadToken()
}
