package health

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/app/pool"
)

// breaker is the health of the provider or of one model: closed while the
// upstream answers, open after a streak of upstream-wide failures on
// several keys.
type breaker struct {
	model      string
	isProvider bool

	open   atomic.Bool  // mirrors isOpen for the request path
	fails  atomic.Int32 // mirrors streak, so a success past a clean breaker takes no lock
	lastOK atomic.Int64 // unix nanoseconds of the last success
	// lastModel (provider only) is the model breaker of the last success.
	lastModel atomic.Pointer[breaker]

	mu         sync.Mutex
	isOpen     bool
	probing    bool      // a probe is in flight
	probeAt    time.Time // when it started
	nextProbe  time.Time
	delay      time.Duration // current wait between probes
	streak     int           // failures since the last success
	since      time.Time     // first failure of the streak
	lastFail   time.Time
	keys       []*pool.Key // distinct keys of the streak, up to Config.Keys
	lastStatus int
	lastErr    string
}

// ok records a success at now. The time only needs to be good to a
// millisecond: skipping the store when it is saves the cache line that
// every request would write.
func (b *breaker) ok(now time.Time) {
	if n := now.UnixNano(); n-b.lastOK.Load() > int64(time.Millisecond) {
		b.lastOK.Store(n)
	}
}

// recentlyOK reports whether the last success is less than window old.
func (b *breaker) recentlyOK(now time.Time, window time.Duration) bool {
	last := b.lastOK.Load()
	return last != 0 && now.UnixNano()-last < int64(window)
}

// add counts one failure in b's streak and reports whether the streak is
// long and wide enough to open b. Call with b.mu held.
func (t *Tracker) add(b *breaker, now time.Time, k *pool.Key, status int, msg string) bool {
	if b.streak > 0 && now.Sub(b.lastFail) > t.cfg.Window {
		b.streak, b.keys = 0, b.keys[:0] // failures this far apart are no streak
	}
	if b.streak == 0 {
		b.since = now
	}
	b.streak++
	b.lastFail, b.lastStatus, b.lastErr = now, status, msg
	b.fails.Store(int32(min(b.streak, 1<<30)))
	if len(b.keys) < t.cfg.Keys && !hasKey(b.keys, k) {
		b.keys = append(b.keys, k)
	}
	need := t.cfg.Keys
	if t.cfg.PoolSize != nil {
		need = max(1, min(need, t.cfg.PoolSize()))
	}
	return !b.isOpen && b.streak >= t.cfg.Keys && len(b.keys) >= need
}

func hasKey(keys []*pool.Key, k *pool.Key) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// count adds an upstream-wide failure to the model's and the provider's
// streaks and opens a breaker when one is due: the provider's when no
// model succeeded during its streak, else the model's alone. It returns
// the breaker that is open now for this request, or nil.
func (t *Tracker) count(b *breaker, now time.Time, k *pool.Key, status int, msg string) *breaker {
	p := t.provider
	p.mu.Lock()
	providerTrips := t.add(p, now, k, status, msg)
	if providerTrips {
		t.openLocked(p, now)
	}
	providerOpen := p.isOpen
	p.mu.Unlock()
	b.mu.Lock()
	modelTrips := t.add(b, now, k, status, msg) && !providerOpen
	if modelTrips {
		t.openLocked(b, now)
	}
	modelOpen := b.isOpen
	b.mu.Unlock()
	switch {
	case providerOpen:
		return p
	case modelOpen:
		return b
	}
	return nil
}

// openLocked opens b, with the first probe after ProbeBase. Call with b.mu
// held.
func (t *Tracker) openLocked(b *breaker, now time.Time) {
	b.isOpen, b.probing = true, false
	b.open.Store(true)
	b.delay = t.cfg.ProbeBase
	b.nextProbe = now.Add(jitter(b.delay))
	args := []any{"provider", t.cfg.Label, "failures", b.streak, "keys", len(b.keys),
		"last_status", b.lastStatus, "last_error", b.lastErr, "next_probe", b.nextProbe.UTC()}
	if b.isProvider {
		t.cfg.Log.Warn("health: provider degraded: upstream-wide failures on several keys", args...)
	} else {
		t.cfg.Log.Warn("health: model degraded: upstream-wide failures on several keys while other models answer",
			append(args, "model", displayModel(b.model))...)
	}
}

// reopen takes a failed probe: b stays open, and the wait before the next
// probe doubles (with jitter) up to ProbeMax.
func (t *Tracker) reopen(b *breaker, now time.Time, status int, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if !b.isOpen {
		return // closed by another request's success meanwhile
	}
	b.streak++
	b.lastFail, b.lastStatus, b.lastErr = now, status, msg
	b.delay = min(2*b.delay, t.cfg.ProbeMax)
	b.nextProbe = now.Add(jitter(b.delay))
	t.cfg.Log.Debug("health: probe failed", "provider", t.cfg.Label, "model", displayModel(b.model),
		"status", status, "error", msg, "next_probe", b.nextProbe.UTC())
}

// close ends b's streak and, when it was open, logs the recovery once.
func (t *Tracker) close(b *breaker, now time.Time) {
	b.mu.Lock()
	wasOpen, since, streak := b.isOpen, b.since, b.streak
	b.isOpen, b.probing, b.streak, b.keys = false, false, 0, b.keys[:0]
	b.open.Store(false)
	b.fails.Store(0)
	b.mu.Unlock()
	if !wasOpen {
		return
	}
	args := []any{"provider", t.cfg.Label, "down_for", now.Sub(since).Round(time.Millisecond).String(), "failures", streak}
	if !b.isProvider {
		args = append(args, "model", displayModel(b.model))
	}
	t.cfg.Log.Info("health: recovered: the upstream answers again", args...)
}
