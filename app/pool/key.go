package pool

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/models"
)

// never is an availability time that does not come.
const never = math.MaxInt64

// Key is one upstream key in the pool. Pick reads only its atomics; the
// state machine changes it under mu.
type Key struct {
	apiKey string
	fp     string // Fingerprint(apiKey), computed on first use under mu

	availableAt atomic.Int64  // unix nanoseconds before which the key is not chosen
	expiresAt   atomic.Int64  // unix nanoseconds; 0 = never expires
	rpm         atomic.Int64  // requests per minute the key may take; 0 = no limit
	minute      atomic.Uint64 // current minute << countBits | requests picked in it
	lastOK      atomic.Int64  // unix nanoseconds of the last success; 0 = none since start
	// blocked holds the models the key may not serve for now (Ollama's
	// per-model 402); nil for nearly every key, so Pick pays one load.
	blocked atomic.Pointer[modelBlocks]

	mu       sync.Mutex
	state    models.Key // status, *_until, consecutive_failures as stored
	coolTill time.Time  // cooldown: in memory only, status unchanged
	coolWhy  coolReason // what the cooldown is for
	// dirty marks a local change of state not yet handed to the store. It
	// is set in the same critical section as the change, so Load never
	// overwrites a change whose enqueue has not happened yet.
	dirty bool
	// balance is the latest probe's figures (SetBalance); nil until one.
	balance *Balance
}

// coolReason says why a key is cooling down.
type coolReason uint8

const (
	coolRateLimit coolReason = iota // a 429 (or another instance's verdict)
	coolAlone                       // 5xx or timeouts on this key while others work
)

// SucceededSince reports whether the key served a success at or after t.
func (k *Key) SucceededSince(t time.Time) bool { return k.lastOK.Load() >= t.UnixNano() }

// APIKey is the upstream key itself.
func (k *Key) APIKey() string { return k.apiKey }

// State returns a copy of the key's stored state, as it stands in memory.
func (k *Key) State() models.Key {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.state
}

// CoolingDownUntil reports the end of a 429 cooldown, or zero.
func (k *Key) CoolingDownUntil() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.coolTill
}

func newKey(m models.Key) *Key {
	k := &Key{apiKey: m.APIKey}
	k.state = m
	k.rpm.Store(rpmOf(m.RPMLimit))
	k.refresh()
	return k
}

// refresh recomputes the atomics from the state; call with mu held.
func (k *Key) refresh() {
	var avail int64
	switch k.state.Status {
	case models.StatusFailed:
		avail = untilNano(k.state.FailedUntil)
	case models.StatusDisabled:
		avail = untilNano(k.state.DisabledUntil)
	case models.StatusExpired:
		avail = never
	}
	if c := k.coolTill.UnixNano(); !k.coolTill.IsZero() && c > avail {
		avail = c
	}
	k.availableAt.Store(avail)
	if k.state.ExpiresAt != nil {
		k.expiresAt.Store(k.state.ExpiresAt.UnixNano())
	} else {
		k.expiresAt.Store(0)
	}
}

// untilNano turns a nullable *_until into an availability time: a failed
// or disabled key without an end date stays out until enabled.
func untilNano(t *time.Time) int64 {
	if t == nil {
		return never
	}
	return t.UnixNano()
}

// settle applies time: a failed or disabled key whose *_until has passed
// is active again, and a key past expires_at is expired. It reports whether
// the stored state changed. Call with mu held.
func (k *Key) settle(now time.Time) bool {
	s := &k.state
	if s.ExpiresAt != nil && !s.ExpiresAt.After(now) {
		if s.Status == models.StatusExpired {
			return false
		}
		s.Status = models.StatusExpired
		return true
	}
	switch s.Status {
	case models.StatusFailed:
		if s.FailedUntil != nil && !s.FailedUntil.After(now) {
			s.Status, s.FailedUntil, s.ConsecutiveFailures = models.StatusActive, nil, 0
			return true
		}
	case models.StatusDisabled:
		if s.DisabledUntil != nil && !s.DisabledUntil.After(now) {
			s.Status, s.DisabledUntil = models.StatusActive, nil
			return true
		}
	case "":
		s.Status = models.StatusActive
		return true
	}
	return false
}
