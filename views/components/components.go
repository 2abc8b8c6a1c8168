// Package components holds the templ pieces that pages share — provider
// switch, flash messages, figure cards, segmented links, switches, the
// top models and their share — and the small view models they take.
package components

import (
	"context"

	"github.com/a-h/templ"
)

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

// ModelRow is one model in the top models table, its figures formatted.
type ModelRow struct {
	Model, Requests, SuccessRate, Tokens, LastUsed string
}

// ModelsView is the top models table and the chart of the models' share
// of requests, shown side by side.
type ModelsView struct {
	Rows  []ModelRow
	Share templ.Component // the share chart; nil before any request
	// TableID and ShareID are the ids of the two cards, for a page that
	// refers to them; "" gives none.
	TableID, ShareID string
}
