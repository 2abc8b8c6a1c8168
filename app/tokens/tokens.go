// Package tokens checks client tokens in memory. Tokens are stored as a
// SHA-256 digest ("sha256:<hex>"); rows the original project wrote in
// plaintext are accepted too. Checking a token costs a hash and a map
// lookup, never a database round trip. A token whose user the original
// project deactivated stays known but refused (see Deactivated).
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

// Deactivations is what a store offers when it can tell which client
// tokens belong to a user the original project deactivated
// (ollama_api_users.is_active = false): their values as that table holds
// them, plaintext or digest. A store without such a table returns none.
type Deactivations interface {
	DeactivatedTokens(ctx context.Context) ([]string, error)
}

// Set is one provider's client tokens.
type Set struct {
	store Store
	now   func() time.Time
	m     atomic.Pointer[map[[sha256.Size]byte]entry]
}

type entry struct {
	Token
	expires     int64 // unix nanoseconds; 0 = never
	deactivated bool  // its user was deactivated: refused, but told apart from an unknown token
}

// Token is what a checked token carries to the proxy.
type Token struct {
	ID string // the stored token column: the row's identity for statistics
	// LimitKey names the token in rate-limit counters: its digest, never
	// the plaintext of a row the original project stored unhashed.
	LimitKey string
	RPM, TPM int64 // requests and tokens per minute; 0 = no limit
}

// Limited says whether the token has a per-minute limit.
func (t Token) Limited() bool { return t.RPM > 0 || t.TPM > 0 }

// New returns an empty set; call Load before serving.
func New(store Store) *Set {
	s := &Set{store: store, now: time.Now}
	s.m.Store(&map[[sha256.Size]byte]entry{})
	return s
}

// Load replaces the set with the store's tokens, marking those whose user
// is deactivated when the store knows of users (Deactivations).
func (s *Set) Load(ctx context.Context) error {
	rows, err := s.store.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("tokens: load: %w", err)
	}
	banned, err := s.deactivated(ctx)
	if err != nil {
		return err
	}
	m := make(map[[sha256.Size]byte]entry, len(rows))
	for _, r := range rows {
		sum, ok := storedSum(r.Token)
		if !ok {
			continue
		}
		e := entry{Token: Token{ID: r.Token, LimitKey: digestPrefix + hex.EncodeToString(sum[:]),
			RPM: limitOf(r.RPMLimit), TPM: limitOf(r.TPMLimit)}}
		if r.ExpiresAt != nil {
			e.expires = r.ExpiresAt.UnixNano()
		}
		_, e.deactivated = banned[sum]
		m[sum] = e
	}
	s.m.Store(&m)
	return nil
}

// deactivated reads the digests of the tokens whose user is deactivated.
func (s *Set) deactivated(ctx context.Context) (map[[sha256.Size]byte]struct{}, error) {
	d, ok := s.store.(Deactivations)
	if !ok {
		return nil, nil
	}
	values, err := d.DeactivatedTokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("tokens: load deactivated users: %w", err)
	}
	banned := make(map[[sha256.Size]byte]struct{}, len(values))
	for _, v := range values {
		if sum, ok := storedSum(v); ok {
			banned[sum] = struct{}{}
		}
	}
	return banned, nil
}

// Check returns the stored id of a client token, if it is known and not
// expired.
func (s *Set) Check(token string) (string, bool) {
	t, ok := s.Lookup(token)
	return t.ID, ok
}

// Lookup returns a client token with its limits, if it is known, not
// expired and its user not deactivated.
func (s *Set) Lookup(token string) (Token, bool) {
	if token == "" {
		return Token{}, false
	}
	e, ok := (*s.m.Load())[sha256.Sum256([]byte(token))]
	if !ok || e.deactivated || (e.expires != 0 && e.expires <= s.now().UnixNano()) {
		return Token{}, false
	}
	return e.Token, true
}

// Deactivated says whether token is a known client token whose user the
// original project deactivated, so that its refusal can say so (403, not
// 401). Only worth asking after Lookup refused it.
func (s *Set) Deactivated(token string) bool {
	if token == "" {
		return false
	}
	e, ok := (*s.m.Load())[sha256.Sum256([]byte(token))]
	return ok && e.deactivated
}

// limitOf reads a stored limit column: NULL or ≤ 0 is no limit.
func limitOf(v *int) int64 {
	if v == nil || *v <= 0 {
		return 0
	}
	return int64(*v)
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
