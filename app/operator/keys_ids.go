package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/keypool/keypool/app/backend"
)

// keyID is a key's opaque id: the first 16 hex digits of its SHA-256.
// Masked keys can look alike; ids do not (64 bits), and they give nothing
// of the key away.
func keyID(apiKey string) string {
	sum := sha256.Sum256([]byte(apiKey))
	return hex.EncodeToString(sum[:8])
}

// isKeyID reports whether s has the form of a key id.
func isKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// keyIDs maps ids back to keys, per provider. Listings fill it; an id it
// does not know (another instance listed it, or the gateway restarted)
// makes it reread every key of the provider, at most once a second, so
// that a batch of unknown ids costs one read.
type keyIDs struct {
	mu     sync.Mutex
	m      map[string]map[string]string // provider → id → api_key
	reread map[string]time.Time         // provider → last full read
}

func newKeyIDs() *keyIDs {
	return &keyIDs{m: map[string]map[string]string{}, reread: map[string]time.Time{}}
}

// remember records the ids of keys shown or added.
func (x *keyIDs) remember(provider string, apiKeys ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := x.m[provider]
	if m == nil {
		m = map[string]string{}
		x.m[provider] = m
	}
	for _, a := range apiKeys {
		m[keyID(a)] = a
	}
}

// forget drops the ids of deleted keys.
func (x *keyIDs) forget(provider string, apiKeys ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, a := range apiKeys {
		delete(x.m[provider], keyID(a))
	}
}

// lookup returns the key of an id, rereading the provider's keys when the
// id is unknown.
func (x *keyIDs) lookup(ctx context.Context, p *backend.Provider, id string) (string, bool, error) {
	x.mu.Lock()
	a, ok := x.m[p.Info.ID][id]
	fresh := time.Since(x.reread[p.Info.ID]) < time.Second
	x.mu.Unlock()
	if ok || fresh {
		return a, ok, nil
	}
	all, err := p.Store.KeyNames(ctx)
	if err != nil {
		return "", false, err
	}
	m := make(map[string]string, len(all))
	for _, a := range all {
		m[keyID(a)] = a
	}
	x.mu.Lock()
	x.m[p.Info.ID], x.reread[p.Info.ID] = m, time.Now()
	x.mu.Unlock()
	a, ok = m[id]
	return a, ok, nil
}

// resolve turns what a caller sent (a key or its id) into a key: the key
// itself when the pool holds it (so that a key that looks like an id still
// works), else the key of the id, else what was sent.
func (s *Service) resolve(ctx context.Context, p *backend.Provider, given string) (string, error) {
	if _, ok := p.Pool.Get(given); ok || !isKeyID(given) {
		return given, nil
	}
	a, ok, err := s.ids.lookup(ctx, p, given)
	if err != nil || !ok {
		return given, err
	}
	return a, nil
}

// resolveAll turns keys or ids into keys, blank and repeated ones dropped.
func (s *Service) resolveAll(ctx context.Context, p *backend.Provider, given []string) ([]string, error) {
	keys := make([]string, 0, len(given))
	seen := make(map[string]bool, len(given))
	for _, g := range given {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		key, err := s.resolve(ctx, p, g)
		if err != nil {
			return nil, err
		}
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	return keys, nil
}
