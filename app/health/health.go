// Package health keeps one provider's health as the proxy sees it: a
// circuit breaker for the provider as a whole and one per model. Upstreams
// fail as a whole more often than keys do (an outage, a 503 wave, one
// model's backend down), so a failure that is not about the key is counted
// here, not against the key. When such failures hit several distinct keys
// with no success in between, the breaker opens: requests get a prompt 503
// saying why, one request at a time goes through as a probe at growing
// intervals, and the first success closes it.
//
// A failure on a key that has not succeeded lately, while other keys do
// succeed on the same model, is the key's own: Failure reports it, and the
// pool gives the key a short cooldown.
package health

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/app/pool"
)

// Config tunes a Tracker.
type Config struct {
	Label string // provider name in messages and logs ("Ollama")
	// Window is how recent a success must be to count as evidence that the
	// upstream works (default 10 s).
	Window time.Duration
	// Keys is how many distinct keys must fail, with no success in
	// between, to open a breaker (KEY_FAILURE_THRESHOLD, default 3); a pool
	// with fewer keys opens when all of them failed, after at least Keys
	// failures.
	Keys int
	// PoolSize reports how many keys the provider has now; nil: assume many.
	PoolSize func() int
	// ProbeBase is the wait before the first probe after a breaker opens
	// (default 2 s); it doubles with jitter after each failed probe, up to
	// ProbeMax (default 30 s).
	ProbeBase, ProbeMax time.Duration
	Now                 func() time.Time
	Log                 *slog.Logger
}

// maxModels bounds the model breakers kept: model names come from
// clients. Past it, models share one breaker (named by otherModels).
const maxModels = 512

const otherModels = "\x00other"

// Tracker is one provider's health. It is safe for concurrent use.
type Tracker struct {
	cfg      Config
	provider *breaker // the whole provider

	mu      sync.Mutex // guards additions to models
	models  sync.Map   // model name → *breaker
	nmodels atomic.Int32
}

// New returns a tracker with every breaker closed.
func New(cfg Config) *Tracker {
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Second
	}
	if cfg.Keys <= 0 {
		cfg.Keys = 3
	}
	if cfg.ProbeBase <= 0 {
		cfg.ProbeBase = 2 * time.Second
	}
	if cfg.ProbeMax < cfg.ProbeBase {
		cfg.ProbeMax = max(30*time.Second, cfg.ProbeBase)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Tracker{cfg: cfg, provider: &breaker{isProvider: true}}
}

// model returns the breaker of a model, made on first use.
func (t *Tracker) model(name string) *breaker {
	if b, ok := t.models.Load(name); ok {
		return b.(*breaker)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if b, ok := t.models.Load(name); ok {
		return b.(*breaker)
	}
	if t.nmodels.Load() >= maxModels {
		name = otherModels
		if b, ok := t.models.Load(name); ok {
			return b.(*breaker)
		}
	}
	b := &breaker{model: name}
	t.models.Store(name, b)
	t.nmodels.Add(1)
	return b
}

// Pass is a request's admission: a plain one, or the probe of an open
// breaker. Done must be called when the request ends.
type Pass struct {
	t     *Tracker
	model string
	probe *breaker // the breaker this request probes; nil for a plain one
	b     *breaker // the model's breaker, once looked up
	// failed are the keys of this request's upstream-wide failures not
	// found at fault yet: if another key then succeeds, they may be.
	failed []*pool.Key
}

// Probing reports whether the request is an open breaker's probe: it
// makes one upstream attempt that fails upstream-wide at most.
func (p *Pass) Probing() bool { return p.probe != nil }

// Admit lets a request for model through, or refuses it while the
// provider's or the model's breaker is open and its probe is not due (or
// already taken by another request).
func (t *Tracker) Admit(model string) (Pass, *Refusal) {
	if t == nil {
		return Pass{}, nil
	}
	pass := Pass{t: t, model: model}
	scopes := [2]*breaker{t.provider, nil}
	if b, ok := t.models.Load(t.name(model)); ok {
		scopes[1] = b.(*breaker)
		pass.b = scopes[1]
	}
	for _, b := range scopes {
		if b == nil || !b.open.Load() {
			continue
		}
		now := t.cfg.Now()
		b.mu.Lock()
		if b.isOpen && b.probing && now.Sub(b.probeAt) > t.cfg.ProbeMax+time.Minute {
			b.probing = false // a probe that never reported back: let another go
		}
		if !b.isOpen || b.probing || now.Before(b.nextProbe) {
			r := t.refusal(b, now)
			b.mu.Unlock()
			if r != nil {
				return Pass{}, r
			}
			continue
		}
		b.probing, b.probeAt = true, now
		b.mu.Unlock()
		pass.probe = b
		return pass, nil
	}
	return pass, nil
}

// name maps a model to the key of its breaker.
func (t *Tracker) name(model string) string {
	if _, ok := t.models.Load(model); !ok && t.nmodels.Load() >= maxModels {
		return otherModels
	}
	return model
}

// Success records an attempt that the upstream answered with success:
// evidence that the provider and the model work. It closes their breakers.
// It returns the keys whose earlier failures in this request are now
// their own: the same request succeeded on another key, and they have not
// succeeded lately themselves.
func (p *Pass) Success() (atFault []*pool.Key) {
	if p.t == nil {
		return nil
	}
	t := p.t
	now := t.cfg.Now()
	b := p.breaker()
	b.ok(now)
	t.provider.ok(now)
	if t.provider.lastModel.Load() != b {
		t.provider.lastModel.Store(b)
	}
	for _, s := range [2]*breaker{t.provider, b} {
		if s.open.Load() || s.fails.Load() > 0 {
			t.close(s, now)
		}
	}
	p.probe = nil
	for _, k := range p.failed {
		if !k.SucceededSince(now.Add(-t.cfg.Window)) {
			atFault = append(atFault, k)
		}
	}
	p.failed = p.failed[:0]
	return atFault
}

// Failure records an upstream-wide failure (connection error, timeout,
// 408, 5xx, a broken answer) of key k: status 0 when no answer came, and
// what the client would be told. It reports whether the failure is the
// key's own (other keys succeed on this model while k has not lately),
// and, when the provider's or the model's breaker is open now, the
// refusal to answer with instead of trying more keys.
func (p *Pass) Failure(k *pool.Key, status int, msg string) (keysFault bool, open *Refusal) {
	if p.t == nil {
		return false, nil
	}
	t := p.t
	now := t.cfg.Now()
	b := p.breaker()
	keysFault = b.recentlyOK(now, t.cfg.Window) && !k.SucceededSince(now.Add(-t.cfg.Window))
	if !keysFault {
		p.failed = append(p.failed, k)
	}
	if p.probe != nil {
		t.reopen(p.probe, now, status, msg)
		r := t.refusalLocked(p.probe, now)
		p.probe = nil
		return keysFault, r
	}
	// Counted either way: a key at fault among working ones never makes a
	// streak (their successes end it), and in an outage the first failures
	// can look like a key's own until the last success ages out.
	if scope := t.count(b, now, k, status, msg); scope != nil {
		return keysFault, t.refusalLocked(scope, now)
	}
	return keysFault, nil
}

// breaker is the model's breaker, made on first use.
func (p *Pass) breaker() *breaker {
	if p.b == nil {
		p.b = p.t.model(p.model)
	}
	return p.b
}

// Done ends the request's pass. A probe that neither succeeded nor failed
// upstream-wide (a client error, a key error, a client that left) says
// nothing: the next request may probe at once.
func (p *Pass) Done() {
	if p.probe == nil {
		return
	}
	b := p.probe
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
	p.probe = nil
}

// Refusal is the answer for a request while a breaker is open.
type Refusal struct {
	Model   string    // the model whose breaker is open; "" for the whole provider
	Message string    // why, for the client
	RetryAt time.Time // when the next probe is due
	Status  int       // the last upstream status (0: no answer)
}

// RetryAfter is the refusal's Retry-After in whole seconds, at least 1.
func (r *Refusal) RetryAfter(now time.Time) int {
	s := int((r.RetryAt.Sub(now) + time.Second - 1) / time.Second)
	return max(s, 1)
}

// refusalLocked takes b's lock and builds its refusal.
func (t *Tracker) refusalLocked(b *breaker, now time.Time) *Refusal {
	b.mu.Lock()
	defer b.mu.Unlock()
	return t.refusal(b, now)
}

// refusal describes an open breaker, or nil when b is closed. Call with
// b.mu held.
func (t *Tracker) refusal(b *breaker, now time.Time) *Refusal {
	if !b.isOpen {
		return nil
	}
	next := b.nextProbe
	if next.Before(now) {
		next = now.Add(time.Second) // a probe is in flight
	}
	wait := next.Sub(now).Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	what := t.cfg.Label + " is not answering"
	if !b.isProvider {
		what = fmt.Sprintf("%s is failing for model %s (other models answer)", t.cfg.Label, displayModel(b.model))
	}
	return &Refusal{Model: b.model, RetryAt: next, Status: b.lastStatus, Message: fmt.Sprintf(
		"%s: %d attempts in a row failed since %s (last: %s); next try in %s",
		what, b.streak, b.since.UTC().Format("15:04:05 UTC"), b.lastErr, wait)}
}

func displayModel(m string) string {
	switch m {
	case otherModels:
		return "(one of many)"
	case "":
		return "(none)"
	}
	return m
}

// jitter spreads d by ±20 %, so instances do not probe in step.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// State is the tracker's view for /health and the dashboard.
type State struct {
	Up        bool         `json:"up"` // the provider breaker is closed
	Since     *time.Time   `json:"degraded_since,omitempty"`
	LastError string       `json:"last_error,omitempty"`
	NextProbe *time.Time   `json:"next_probe,omitempty"`
	Models    []ModelState `json:"degraded_models,omitempty"`
}

// ModelState is one model whose breaker is open.
type ModelState struct {
	Model     string    `json:"model"`
	Since     time.Time `json:"since"`
	LastError string    `json:"last_error"`
	NextProbe time.Time `json:"next_probe"`
}

// State reports the open breakers.
func (t *Tracker) State() State {
	st := State{Up: true}
	if t == nil {
		return st
	}
	p := t.provider
	p.mu.Lock()
	if p.isOpen {
		since, next := p.since.UTC(), p.nextProbe.UTC()
		st = State{Since: &since, LastError: p.lastErr, NextProbe: &next}
	}
	p.mu.Unlock()
	t.models.Range(func(_, v any) bool {
		b := v.(*breaker)
		if !b.open.Load() {
			return true
		}
		b.mu.Lock()
		if b.isOpen {
			st.Models = append(st.Models, ModelState{Model: displayModel(b.model), Since: b.since.UTC(),
				LastError: b.lastErr, NextProbe: b.nextProbe.UTC()})
		}
		b.mu.Unlock()
		return true
	})
	return st
}
