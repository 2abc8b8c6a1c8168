package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// statusOf is the status of the page that shows each kind of refusal.
var statusOf = map[operator.Kind]int{
	operator.KindInvalid:     fiber.StatusBadRequest,
	operator.KindNotFound:    fiber.StatusNotFound,
	operator.KindConflict:    fiber.StatusConflict,
	operator.KindTooLarge:    fiber.StatusRequestEntityTooLarge,
	operator.KindUnavailable: fiber.StatusServiceUnavailable,
}

// refused reports whether err is an action refused for a reason the
// operator can act on in the form (shown beside it), not a failure.
func refused(err error) bool {
	e, ok := operator.AsError(err)
	return ok && e.Kind != operator.KindUnavailable
}

// refusal is the page status and the message of an action refused.
func refusal(err error) (int, string) {
	e, _ := operator.AsError(err)
	return statusOf[e.Kind], e.Message
}

// isRefusal reports whether err is any refusal of an action.
func isRefusal(err error) bool {
	_, ok := operator.AsError(err)
	return ok
}
