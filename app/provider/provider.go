// Package provider describes the upstream providers Keypool serves: their
// ids, table prefixes, base URLs and the quirks of their error answers.
package provider

import (
	"strings"
	"sync/atomic"
)

// Provider ids, as used in URLs and ?provider=.
const (
	Ollama     = "ollama"
	OpenRouter = "openrouter"
)

// Provider is one upstream API and the set of tables that belong to it.
type Provider struct {
	ID      string // "ollama" | "openrouter"
	Label   string // human name
	Prefix  string // table prefix, e.g. "ollama_api"
	BaseURL string // upstream base, without a trailing slash
	// Headers are sent upstream when the client sent none of the same name
	// (OpenRouter's HTTP-Referer and X-Title app attribution).
	Headers map[string]string

	// disabled is the runtime switch (admin API), on top of DISABLE_*:
	// a provider switched off answers 503 on its client routes.
	disabled atomic.Bool
}

// Enabled reports whether the provider serves client requests now.
func (p *Provider) Enabled() bool { return !p.disabled.Load() }

// SetEnabled switches the provider on or off at runtime.
func (p *Provider) SetEnabled(on bool) { p.disabled.Store(!on) }

// Table returns the provider's table for a base name: Table("keys") →
// "ollama_api_keys".
func (p *Provider) Table(name string) string { return p.Prefix + "_" + name }

// KeyErrorOn403 reports whether a 403 from this provider means the key is
// unusable (Ollama: cloud access disabled) rather than a verdict on the
// content (OpenRouter: moderation), which goes back to the client unchanged.
func (p *Provider) KeyErrorOn403() bool { return p.ID == Ollama }

// New returns the provider for id with the given base URL.
func New(id, baseURL string) *Provider {
	p := &Provider{ID: id, BaseURL: strings.TrimRight(baseURL, "/")}
	switch id {
	case Ollama:
		p.Label, p.Prefix = "Ollama", "ollama_api"
	case OpenRouter:
		p.Label, p.Prefix = "OpenRouter", "openrouter_api"
	}
	return p
}
