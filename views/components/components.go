// Package components holds the templ pieces that pages share — provider
// switch, flash messages, figure cards, segmented links, switches — and the
// small view models they take.
package components

import "context"

// Link is one choice of a segmented control (provider switch, chart range).
type Link struct {
	Label   string
	URL     string
	Current bool
	Off     bool // shown but not selectable (a disabled provider)
	Title   string
}

// Flash is a message shown once at the top of a page.
type Flash struct {
	Kind string // "ok" or "error"
	Text string
}

// Figure is one number on a card: label, value and a note under it.
type Figure struct {
	Label string
	Value string
	Note  string
}

// Switch is an on/off control. Action is where the form posts; an empty
// Action makes the switch read-only.
type Switch struct {
	ID     string
	Label  string
	On     bool
	Action string
	Note   string
}

// csrfKey is the context key of the request's CSRF token.
type csrfKey struct{}

// WithCSRF returns ctx carrying the CSRF token that forms send.
func WithCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRF returns the CSRF token in ctx, "" if none.
func CSRF(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// Paging is where a paged list stands: its text ("Page 2 of 40") and the
// URLs of the pages before and after ("" at either end).
type Paging struct {
	Text       string
	Prev, Next string
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}
