package pool

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/keypool/keypool/models"
)

// Verdict is a key's availability as other gateway instances need to know
// it: the stored status with its end dates, and the 429 cooldown that lives
// in memory only. The key is named by its fingerprint, so a verdict sent
// over Redis or PostgreSQL never carries the key itself.
type Verdict struct {
	Key           string     `json:"key"` // Fingerprint of the API key
	Status        string     `json:"status"`
	FailedUntil   *time.Time `json:"failed_until,omitempty"`
	DisabledUntil *time.Time `json:"disabled_until,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	CoolTill      time.Time  `json:"cool_till,omitzero"`
}

// Fingerprint names an API key without revealing it: the first 12 bytes of
// its SHA-256, in hex.
func Fingerprint(apiKey string) string {
	sum := sha256.Sum256([]byte(apiKey))
	return hex.EncodeToString(sum[:12])
}

// verdictOf reads k's verdict, without its fingerprint (announce adds it
// when the verdict goes out); call with k.mu held.
func verdictOf(k *Key) Verdict {
	s := &k.state
	return Verdict{Status: s.Status, FailedUntil: s.FailedUntil,
		DisabledUntil: s.DisabledUntil, ExpiresAt: s.ExpiresAt, CoolTill: k.coolTill}
}

// watched reads k's verdict when something listens (Config.Announce): Mark
// runs on the request path, and pays nothing for verdicts otherwise. Call
// with k.mu held.
func (p *Pool) watched(k *Key) Verdict {
	if p.cfg.Announce == nil {
		return Verdict{}
	}
	return verdictOf(k)
}

// sameVerdict reports whether a and b say the same about availability.
func sameVerdict(a, b Verdict) bool {
	return a.Status == b.Status && sameTime(a.FailedUntil, b.FailedUntil) &&
		sameTime(a.DisabledUntil, b.DisabledUntil) && sameTime(a.ExpiresAt, b.ExpiresAt) &&
		a.CoolTill.Equal(b.CoolTill)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// fingerprint is k's Fingerprint, computed once.
func (k *Key) fingerprint() string {
	if k.fp == "" {
		k.fp = Fingerprint(k.apiKey)
	}
	return k.fp
}

// announce hands k's changed verdict to Config.Announce, if set. Call it
// without k.mu held: Announce may take its own locks.
func (p *Pool) announce(k *Key, before, after Verdict) {
	if p.cfg.Announce == nil || sameVerdict(before, after) {
		return
	}
	k.mu.Lock()
	after.Key = k.fingerprint()
	k.mu.Unlock()
	p.cfg.Announce(after)
}

// Apply takes a verdict another instance reached about one of this pool's
// keys: its status and end dates replace the local ones, and the longer of
// the two 429 cooldowns holds. The verdict is not written to the store
// again (its instance does that); a local change still pending is written
// with the verdict merged in. It reports whether the key is in the pool.
func (p *Pool) Apply(v Verdict) bool {
	k := p.snap.Load().byFingerprint()[v.Key]
	if k == nil {
		return false
	}
	k.mu.Lock()
	s := &k.state
	s.Status, s.FailedUntil, s.DisabledUntil, s.ExpiresAt = v.Status, v.FailedUntil, v.DisabledUntil, v.ExpiresAt
	if s.Status == models.StatusActive {
		s.ConsecutiveFailures = 0
	}
	if v.CoolTill.After(k.coolTill) || v.Status == models.StatusActive && v.CoolTill.IsZero() && !k.coolTill.IsZero() {
		k.coolTill = v.CoolTill // an admin's enable clears the cooldown everywhere
	}
	k.refresh()
	k.mu.Unlock()
	return true
}

// fingerprints indexes a snapshot's keys by Fingerprint, built on first use:
// only instances that hear from others pay for it. A snapshot made by Add
// or Remove from one whose index is built gets its own at once, so that
// news from other instances does not rebuild it per change.
type fingerprints struct {
	mu sync.Mutex
	m  map[string]*Key // nil until built
}

func (s *snapshot) byFingerprint() map[string]*Key {
	s.fps.mu.Lock()
	defer s.fps.mu.Unlock()
	if s.fps.m == nil {
		s.fps.m = make(map[string]*Key, len(s.list))
		for _, k := range s.list {
			k.mu.Lock()
			s.fps.m[k.fingerprint()] = k
			k.mu.Unlock()
		}
	}
	return s.fps.m
}

// built returns the index if it was built, else nil. The map is never
// changed once built.
func (f *fingerprints) built() map[string]*Key {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m
}
