// Package admin is the JSON face of the operator's actions, under /admin:
// each handler decodes a request, calls app/operator and encodes what it
// answers. Every route needs Authorization: Bearer $ADMIN_TOKEN, except
// the public statistics.
package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// Handler serves the admin API over the operator's actions.
type Handler struct {
	ops         *operator.Service
	adminDigest [sha256.Size]byte
	log         *slog.Logger
	zone        *time.Location // times shown (DISPLAY_TIMEZONE)
}

// New returns the admin API, guarded by adminToken.
func New(adminToken string, ops *operator.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{ops: ops, adminDigest: sha256.Sum256([]byte(adminToken)), log: log, zone: time.UTC}
}

// ShowTimesIn makes the answers show times in zone (DISPLAY_TIMEZONE)
// rather than UTC; stored times stay UTC. Call it before serving.
func (h *Handler) ShowTimesIn(zone *time.Location) {
	if zone != nil {
		h.zone = zone
	}
}

// Error is an admin API error of the face itself (a body that is no JSON,
// a path that is not escaped), sent as {"error":"…"}.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("admin: %d %s", e.Status, e.Message) }

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// statusOf is the HTTP status of each kind of refusal.
var statusOf = map[operator.Kind]int{
	operator.KindInvalid:     fiber.StatusBadRequest,
	operator.KindNotFound:    fiber.StatusNotFound,
	operator.KindConflict:    fiber.StatusConflict,
	operator.KindTooLarge:    fiber.StatusRequestEntityTooLarge,
	operator.KindUnavailable: fiber.StatusServiceUnavailable,
}

// Answer maps an error of the admin API, or of an action it called, to
// its status and message; ok is false for any other error (an internal
// one, which the caller logs and hides).
func Answer(err error) (status int, message string, ok bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Status, ae.Message, true
	}
	if oe, ok := operator.AsError(err); ok {
		return statusOf[oe.Kind], oe.Message, true
	}
	return 0, "", false
}

// requireAdmin checks the admin token in constant time (digests of equal
// length, so not even the token's length leaks).
func (h *Handler) requireAdmin(c *fiber.Ctx) error {
	auth := c.Get(fiber.HeaderAuthorization)
	const prefix = "Bearer "
	if len(auth) <= len(prefix) || !equalFoldASCII(auth[:len(prefix)], prefix) {
		return errorf(fiber.StatusUnauthorized, "missing admin token: send Authorization: Bearer YOUR_ADMIN_TOKEN")
	}
	sum := sha256.Sum256([]byte(auth[len(prefix):]))
	if subtle.ConstantTimeCompare(sum[:], h.adminDigest[:]) != 1 {
		return errorf(fiber.StatusUnauthorized, "invalid admin token")
	}
	return c.Next()
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i]|0x20 != b[i]|0x20 {
			return false
		}
	}
	return true
}
