package web

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// oneTime keeps values for one later read, across the redirect that
// follows a form posted without JavaScript: a new token's plaintext (which
// must not go into a URL or a cookie) or an import's result. A value is
// gone once read, or after ttl.
type oneTime struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[string]oneTimeEntry
}

type oneTimeEntry struct {
	v       any
	expires time.Time
}

func newOneTime(ttl time.Duration, max int) *oneTime {
	return &oneTime{ttl: ttl, max: max, m: map[string]oneTimeEntry{}}
}

// put keeps v and returns the unguessable id that takes it.
func (o *oneTime) put(v any) string {
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, e := range o.m {
		if now.After(e.expires) || len(o.m) >= o.max {
			delete(o.m, k) // expired, or room needed: an arbitrary old one goes
		}
	}
	o.m[id] = oneTimeEntry{v: v, expires: now.Add(o.ttl)}
	return id
}

// take returns the value of id and forgets it; nil if there is none.
func (o *oneTime) take(id string) any {
	if id == "" {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.m[id]
	delete(o.m, id)
	if !ok || time.Now().After(e.expires) {
		return nil
	}
	return e.v
}
