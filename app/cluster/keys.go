package cluster

import (
	"context"
	"slices"
	"time"

	"github.com/keypool/keypool/app/pool"
)

// Keys imported or deleted on one instance reach the others without any of
// them reading the whole key table back:
//
//   - an import travels as the span of its keys' created_at (the message
//     never carries a key); the others read the keys created in that span
//     (pool.LoadCreated, one indexed query returning about the new rows);
//   - a delete travels as the fingerprints of the keys; the others drop the
//     keys with those fingerprints from their pools (pool.RemoveFingerprints).
//
// The news goes out before the verdicts announced with it, and a receiver
// applies removals before additions: both changes were in the store before
// they were announced, so in that order a key deleted and imported again
// ends up in the pool, one imported and deleted again does not. A delete of
// more than maxRemoved keys goes out as a Keys change instead (everyone
// reads the table once rather than hundreds of messages). What a bus lost,
// the resync after it reconnects and the periodic resync bring.

// perRemoved bounds the fingerprints in one message: 27 bytes each in
// JSON, 250 take 6,750 of PostgreSQL's 8,000.
const perRemoved = 250

// maxRemoved is the largest delete announced key by key.
const maxRemoved = 10 * perRemoved

// keyNews is what this instance changed of one provider's keys since the
// last message went out.
type keyNews struct {
	added    *span           // created_at of the keys imported; nil: none
	removed  map[string]bool // fingerprints of the keys deleted
	tooMany  bool            // more than maxRemoved: send a Keys change
	provider string
}

// span is the created_at of the keys of one or more imports.
type span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// KeysAnnouncer returns the function for pool.Config.AnnounceKeys of a
// provider's pool: it queues what Add and Remove changed (imports merge
// into one span, fingerprints into one set) and returns.
func (c *Cluster) KeysAnnouncer(provider string) func(pool.KeyNews) {
	return func(n pool.KeyNews) {
		c.mu.Lock()
		q := c.keys[provider]
		if q == nil {
			q = &keyNews{provider: provider, removed: map[string]bool{}}
			c.keys[provider] = q
		}
		if n.Added > 0 {
			if q.added == nil {
				q.added = &span{From: n.CreatedFrom, To: n.CreatedTo}
			} else {
				q.added.From = minTime(q.added.From, n.CreatedFrom)
				q.added.To = maxTime(q.added.To, n.CreatedTo)
			}
		}
		for _, fp := range n.Removed {
			if !q.tooMany {
				q.removed[fp] = true
			}
		}
		if len(q.removed) > maxRemoved {
			q.tooMany, q.removed = true, map[string]bool{}
		}
		c.mu.Unlock()
		c.poke()
	}
}

// messages turns one provider's key news into messages: the fingerprints in
// chunks of perRemoved, the span with the last chunk; or a Keys change when
// the delete was too large.
func (q *keyNews) messages(from string) []message {
	if q.tooMany {
		return []message{{From: from, Provider: q.provider, Changes: []Change{Keys}}}
	}
	fps := slices.Sorted(func(yield func(string) bool) {
		for fp := range q.removed {
			if !yield(fp) {
				return
			}
		}
	})
	var out []message
	for chunk := range slices.Chunk(fps, perRemoved) {
		out = append(out, message{From: from, Provider: q.provider, Removed: chunk})
	}
	if q.added != nil {
		if len(out) == 0 {
			out = append(out, message{From: from, Provider: q.provider})
		}
		out[len(out)-1].Added = q.added
	}
	return out
}

// applyKeyNews applies the key news of a message from another instance:
// removals first, then additions.
func (c *Cluster) applyKeyNews(ctx context.Context, p Provider, m message) {
	p.Pool.RemoveFingerprints(m.Removed...)
	if m.Added == nil {
		return
	}
	if err := p.Pool.LoadCreated(ctx, m.Added.From, m.Added.To); err != nil && ctx.Err() == nil {
		c.cfg.Log.Warn("cluster: reading keys another instance imported failed; the next resync retries",
			"provider", m.Provider, "err", err)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
