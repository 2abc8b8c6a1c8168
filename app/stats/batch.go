package stats

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Counter is an additive set of request figures.
type Counter struct {
	Requests         int64
	Success          int64
	Failure          int64
	PromptTokens     int64
	CompletionTokens int64
	LatencyMs        int64 // sum, for averages
}

func (c *Counter) add(o *Counter) {
	c.Requests += o.Requests
	c.Success += o.Success
	c.Failure += o.Failure
	c.PromptTokens += o.PromptTokens
	c.CompletionTokens += o.CompletionTokens
	c.LatencyMs += o.LatencyMs
}

// KeyDelta is what happened to one upstream key since the last flush.
type KeyDelta struct {
	Counter
	LastUsed, LastSuccess, LastFailure time.Time
	// SawSuccess says an attempt succeeded in this batch; Trailing counts
	// the failed attempts after the last success (or all, without one), so
	// consecutive_failures can be kept right without reading it first.
	SawSuccess bool
	Trailing   int
}

// then appends a later delta of the same key.
func (k *KeyDelta) then(next *KeyDelta) {
	k.Counter.add(&next.Counter)
	k.LastUsed = later(k.LastUsed, next.LastUsed)
	k.LastSuccess = later(k.LastSuccess, next.LastSuccess)
	k.LastFailure = later(k.LastFailure, next.LastFailure)
	if next.SawSuccess {
		k.SawSuccess, k.Trailing = true, next.Trailing
	} else {
		k.Trailing += next.Trailing
	}
}

// ModelDelta is what happened to one model since the last flush.
type ModelDelta struct {
	Counter
	LastUsed time.Time
}

// HourKey names one row of {prefix}_model_hourly.
type HourKey struct {
	Model string
	Hour  time.Time // UTC, truncated to the hour
}

// TokenDelta is one client token's use since the last flush.
type TokenDelta struct {
	Requests int64
	LastUsed time.Time
}

// Batch is every figure of one provider waiting to be written.
type Batch struct {
	// ID names one write attempt of the batch; the writer records it in
	// the same transaction, so a cut-off commit can be checked later.
	ID       string
	Provider string
	Global   Counter
	Keys     map[string]*KeyDelta
	Models   map[string]*ModelDelta
	Hourly   map[HourKey]*Counter
	Tokens   map[string]*TokenDelta
}

func newBatch(provider string) *Batch {
	return &Batch{Provider: provider, Keys: map[string]*KeyDelta{}, Models: map[string]*ModelDelta{},
		Hourly: map[HourKey]*Counter{}, Tokens: map[string]*TokenDelta{}}
}

// Rows is the number of rows the batch will write.
func (b *Batch) Rows() int { return 1 + len(b.Keys) + len(b.Models) + len(b.Hourly) + len(b.Tokens) }

// Empty reports whether there is nothing to write.
func (b *Batch) Empty() bool { return b.Global == (Counter{}) && len(b.Keys) == 0 }

// merge folds a later batch of the same provider into b.
func (b *Batch) merge(next *Batch) {
	b.Global.add(&next.Global)
	for k, d := range next.Keys {
		if cur, ok := b.Keys[k]; ok {
			cur.then(d)
		} else {
			b.Keys[k] = d
		}
	}
	for m, d := range next.Models {
		if cur, ok := b.Models[m]; ok {
			cur.Counter.add(&d.Counter)
			cur.LastUsed = later(cur.LastUsed, d.LastUsed)
		} else {
			b.Models[m] = d
		}
	}
	for h, d := range next.Hourly {
		if cur, ok := b.Hourly[h]; ok {
			cur.add(d)
		} else {
			b.Hourly[h] = d
		}
	}
	for t, d := range next.Tokens {
		if cur, ok := b.Tokens[t]; ok {
			cur.Requests += d.Requests
			cur.LastUsed = later(cur.LastUsed, d.LastUsed)
		} else {
			b.Tokens[t] = d
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// newID returns a random batch id.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
