package operator

import (
	"errors"
	"fmt"
)

// Kind is what sort of refusal an Error is; each face maps it once (the
// admin API to an HTTP status, the dashboard to an error page or a toast).
type Kind int

// The kinds of refusal.
const (
	KindInvalid     Kind = iota + 1 // the input is wrong: say which field
	KindNotFound                    // no such key, token, job or provider
	KindConflict                    // it exists already, or a setting forbids it
	KindTooLarge                    // over a configured size limit
	KindUnavailable                 // a service the action needs does not answer
)

// Error is an action refused for a reason the caller can act on. Its
// Message is safe to show (keys masked).
type Error struct {
	Kind    Kind
	Field   string // the input field at fault, for KindInvalid; may be empty
	Message string
}

func (e *Error) Error() string { return "operator: " + e.Message }

// Is makes errors.Is(err, ErrNotFound) and the like match any Error of
// that kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrInvalid     = &Error{Kind: KindInvalid}
	ErrNotFound    = &Error{Kind: KindNotFound}
	ErrConflict    = &Error{Kind: KindConflict}
	ErrTooLarge    = &Error{Kind: KindTooLarge}
	ErrUnavailable = &Error{Kind: KindUnavailable}
)

func refuse(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// invalid is a KindInvalid error about field.
func invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err's *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
