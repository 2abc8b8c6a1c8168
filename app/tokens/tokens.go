// Package tokens checks client tokens in memory. Tokens are stored as a
// SHA-256 digest ("sha256:<hex>"); rows the original project wrote in
// plaintext are accepted too. Checking a token costs a hash and a map
// lookup, never a database round trip.
package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/models"
)

// digestPrefix marks a stored token that is a digest, not plaintext.
const digestPrefix = "sha256:"

// Store is what the set needs from the database.
type Store interface {
	ListTokens(ctx context.Context) ([]models.ClientToken, error)
}

// Set is one provider's client tokens.
type Set struct {
	store Store
	now   func() time.Time
	m     atomic.Pointer[map[[sha256.Size]byte]entry]
}

type entry struct {
	id      string // the stored token column: the row's identity for statistics
	expires int64  // unix nanoseconds; 0 = never
}

// New returns an empty set; call Load before serving.
func New(store Store) *Set {
	s := &Set{store: store, now: time.Now}
	s.m.Store(&map[[sha256.Size]byte]entry{})
	return s
}

// Load replaces the set with the store's tokens.
func (s *Set) Load(ctx context.Context) error {
	rows, err := s.store.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("tokens: load: %w", err)
	}
	m := make(map[[sha256.Size]byte]entry, len(rows))
	for _, r := range rows {
		sum, ok := storedSum(r.Token)
		if !ok {
			continue
		}
		e := entry{id: r.Token}
		if r.ExpiresAt != nil {
			e.expires = r.ExpiresAt.UnixNano()
		}
		m[sum] = e
	}
	s.m.Store(&m)
	return nil
}

// Check returns the stored id of a client token, if it is known and not
// expired.
func (s *Set) Check(token string) (string, bool) {
	if token == "" {
		return "", false
	}
	e, ok := (*s.m.Load())[sha256.Sum256([]byte(token))]
	if !ok || (e.expires != 0 && e.expires <= s.now().UnixNano()) {
		return "", false
	}
	return e.id, true
}

// Len is the number of tokens loaded.
func (s *Set) Len() int { return len(*s.m.Load()) }

// Digest is the stored form of a plaintext token.
func Digest(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return digestPrefix + hex.EncodeToString(sum[:])
}

// Generate returns a new random plaintext token.
func Generate() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("tokens: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return "sk-kp-" + hex.EncodeToString(b)
}

// storedSum turns a stored token column into the digest Check looks up.
func storedSum(stored string) ([sha256.Size]byte, bool) {
	var sum [sha256.Size]byte
	if h, ok := strings.CutPrefix(stored, digestPrefix); ok {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			return sum, false
		}
		copy(sum[:], b)
		return sum, true
	}
	if stored == "" {
		return sum, false
	}
	return sha256.Sum256([]byte(stored)), true // plaintext row of the original project
}
