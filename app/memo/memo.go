// Package memo keeps values that are costly to compute (database rollups)
// in memory for a short time. Concurrent callers that miss the same key
// share one computation instead of each starting their own, so a burst of
// page views costs one query set.
package memo

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Memo maps keys to values computed by a caller-supplied load function.
// The zero value is not ready; use New.
type Memo[V any] struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry[V]
}

// entry is one value, being loaded until done is closed.
type entry[V any] struct {
	done    chan struct{}
	val     V
	err     error
	expires time.Time
}

// New returns an empty memo.
func New[V any]() *Memo[V] {
	return &Memo[V]{now: time.Now, entries: map[string]*entry[V]{}}
}

// Get returns the value of key: the stored one while it is younger than
// ttl, otherwise the result of load. While a load runs, other callers of
// the same key wait for it rather than loading again. A failed load is not
// kept: the next caller tries again. A waiter whose ctx ends stops waiting;
// the load itself runs without the caller's cancellation, so one client
// that hangs up does not fail the others.
func (c *Memo[V]) Get(ctx context.Context, key string, ttl time.Duration, load func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	e := c.entries[key]
	if e != nil && (!loaded(e) || c.now().Before(e.expires)) {
		c.mu.Unlock()
		return wait(ctx, e)
	}
	e = &entry[V]{done: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()

	c.fill(context.WithoutCancel(ctx), key, ttl, e, load)
	return e.val, e.err
}

// fill runs load into e and publishes it. A panic in load still releases
// the waiters (with an error) before it goes on up the stack.
func (c *Memo[V]) fill(ctx context.Context, key string, ttl time.Duration, e *entry[V], load func(context.Context) (V, error)) {
	finished := false
	defer func() {
		if !finished {
			e.err = fmt.Errorf("memo: load of %q panicked", key)
		}
		c.mu.Lock()
		e.expires = c.now().Add(ttl)
		if e.err != nil && c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
		close(e.done)
	}()
	e.val, e.err = load(ctx)
	finished = true
}

// Forget drops key, so the next Get loads it again.
func (c *Memo[V]) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil && loaded(e) {
		delete(c.entries, key)
	}
}

// loaded reports whether e's load has finished.
func loaded[V any](e *entry[V]) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// wait returns e's value once its load is done, or ctx's error first.
func wait[V any](ctx context.Context, e *entry[V]) (V, error) {
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}
