package pool

import (
	"time"

	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/models"
)

// Event is what an upstream answer says about the key that served it.
type Event int

// Events, from the proxy's classification of upstream answers.
const (
	// Success: a 2xx answer. Resets consecutive failures.
	Success Event = iota
	// Invalid: 401, 402, or Ollama's 403. Failed for the cooldown.
	Invalid
	// RateLimited: a plain 429. Skipped until the given time; status unchanged.
	RateLimited
	// QuotaExhausted: a quota-window 429. Failed until the window resets.
	QuotaExhausted
	// Transient: 5xx, 408, a timeout or a connection error that app/health
	// found to be this key's own (other keys succeed meanwhile). The key
	// cools down briefly, longer on each repeat (AloneCooldown doubling,
	// up to Cooldown); at the cap it is failed for Cooldown. Upstream-wide
	// failures are never marked: they are the provider's health.
	Transient
)

var eventNames = [...]string{"success", "invalid", "rate_limited", "quota_exhausted", "transient"}

func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return "unknown"
}

// Mark applies an event to a key. until is the end of a RateLimited
// cooldown or of a QuotaExhausted window and is ignored otherwise.
func (p *Pool) Mark(k *Key, ev Event, until time.Time) {
	now := p.now().UTC()
	k.mu.Lock()
	was := p.watched(k)
	changed := k.settle(now)
	s := &k.state
	before := s.Status
	switch ev {
	case Success:
		k.lastOK.Store(now.UnixNano())
		if s.ConsecutiveFailures != 0 {
			s.ConsecutiveFailures = 0
			changed = true
		}
	case Invalid:
		changed = k.fail(now.Add(p.cfg.Cooldown)) || changed
	case QuotaExhausted:
		changed = k.fail(until.UTC()) || changed
	case RateLimited:
		k.coolFor(until, coolRateLimit)
	case Transient:
		s.ConsecutiveFailures++
		changed = true
		if d := p.aloneCooldown(s.ConsecutiveFailures); d < p.cfg.Cooldown {
			k.coolFor(now.Add(d), coolAlone)
		} else {
			k.fail(now.Add(p.cfg.Cooldown))
		}
	}
	k.refresh()
	k.dirty = k.dirty || changed
	after, failedUntil := s.Status, s.FailedUntil
	is := p.watched(k)
	k.mu.Unlock()
	if changed {
		p.enqueue(k)
	}
	p.announce(k, was, is)
	if after == models.StatusFailed && before != models.StatusFailed {
		p.log.Warn("pool: key failed", "key", redact.Key(k.apiKey), "event", ev.String(), "until", failedUntil)
	}
}

// coolFor rests the key until t (a later end already set wins); its status
// stays as it is. Call with mu held.
func (k *Key) coolFor(t time.Time, why coolReason) {
	if t.After(k.coolTill) {
		k.coolTill, k.coolWhy = t, why
	}
}

// aloneCooldown is the rest after the n-th failure in a row of a key alone:
// AloneCooldown, doubling with each repeat.
func (p *Pool) aloneCooldown(n int) time.Duration {
	d := p.cfg.AloneCooldown
	for i := 1; i < n && d < p.cfg.Cooldown; i++ {
		d *= 2
	}
	return d
}

// fail marks the key failed until t (a later end already set wins). It
// reports whether the state changed. Call with mu held.
func (k *Key) fail(t time.Time) bool {
	s := &k.state
	if s.Status == models.StatusDisabled || s.Status == models.StatusExpired {
		return false // an admin's or the calendar's verdict outranks an upstream's
	}
	if s.Status == models.StatusFailed && s.FailedUntil != nil && !t.After(*s.FailedUntil) {
		return false
	}
	s.Status, s.FailedUntil = models.StatusFailed, &t
	return true
}

// Enable makes a key active again, clearing counters and cooldowns.
func (p *Pool) Enable(apiKey string) error {
	k, ok := p.Get(apiKey)
	if !ok {
		return ErrUnknownKey
	}
	k.mu.Lock()
	was := p.watched(k)
	s := &k.state
	s.Status, s.FailedUntil, s.DisabledUntil, s.ConsecutiveFailures = models.StatusActive, nil, nil, 0
	if s.ExpiresAt != nil && !s.ExpiresAt.After(p.now()) {
		s.ExpiresAt = nil // enabling an expired key means it no longer expires
	}
	k.coolTill = time.Time{}
	k.blocked.Store(nil)
	k.refresh()
	k.dirty = true
	is := p.watched(k)
	k.mu.Unlock()
	p.enqueue(k)
	p.announce(k, was, is)
	return nil
}

// Disable takes a key out of rotation for d, or until enabled when d is 0.
func (p *Pool) Disable(apiKey string, d time.Duration) error {
	k, ok := p.Get(apiKey)
	if !ok {
		return ErrUnknownKey
	}
	k.mu.Lock()
	was := p.watched(k)
	k.state.Status, k.state.DisabledUntil = models.StatusDisabled, nil
	if d > 0 {
		t := p.now().UTC().Add(d)
		k.state.DisabledUntil = &t
	}
	k.refresh()
	k.dirty = true
	is := p.watched(k)
	k.mu.Unlock()
	p.enqueue(k)
	p.announce(k, was, is)
	return nil
}
