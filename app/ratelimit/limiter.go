// Package ratelimit counts requests (and tokens) per key in sliding
// windows: in memory for one instance, in Redis for several, and falling
// back from Redis to memory while Redis is unreachable.
//
// The window is a sliding-window counter: the previous fixed window's
// count, weighted by the share of it the sliding window still covers, plus
// the current fixed window's count. It needs two numbers per key, answers
// in one Redis round trip, and is exact while a burst stays inside one
// fixed window (so the 61st of 60 requests is refused).
package ratelimit

import (
	"context"
	"math"
	"time"
)

// Limit is a budget: Count units (requests or tokens) per Window.
type Limit struct {
	Count  int64
	Window time.Duration
}

// PerMinute is a limit of n units a minute.
func PerMinute(n int64) Limit { return Limit{Count: n, Window: time.Minute} }

// Result is a decision and what to tell the client about it.
type Result struct {
	Allowed    bool
	Limit      int64
	Remaining  int64         // units left in the sliding window after this call
	Reset      time.Duration // until the current fixed window ends
	RetryAfter time.Duration // when refused: until the call would be allowed
}

// Limiter spends units of per-key budgets.
type Limiter interface {
	// Allow spends n units of key's budget when at least max(n, 1) are
	// left. n = 0 only checks that the budget is not spent.
	Allow(ctx context.Context, key string, l Limit, n int64) (Result, error)
	// Charge spends n units whether the budget has them or not: usage that
	// is known only once a request is done.
	Charge(ctx context.Context, key string, l Limit, n int64) error
}

// window is one key's counters at one moment.
type window struct {
	prev, curr int64         // counts of the previous and the current fixed window
	elapsed    time.Duration // into the current fixed window
	size       time.Duration
}

// estimate is the sliding window's count.
func (w window) estimate() float64 {
	return float64(w.prev)*float64(w.size-w.elapsed)/float64(w.size) + float64(w.curr)
}

// allows says whether n more units fit (at least one, so that n = 0 asks
// whether the budget is spent).
func (w window) allows(limit, n int64) bool {
	return w.estimate()+float64(max(n, 1)) <= float64(limit)
}

// result describes the window after a decision; w already counts the
// units spent by an allowed call.
func (w window) result(allowed bool, l Limit, n int64) Result {
	r := Result{Allowed: allowed, Limit: l.Count, Reset: w.size - w.elapsed}
	r.Remaining = max(0, int64(math.Floor(float64(l.Count)-w.estimate())))
	if !allowed {
		r.RetryAfter = w.retryAfter(l.Count, max(n, 1))
	}
	return r
}

// retryAfter is how long until need units fit, as the previous window's
// weight decays and the current window becomes the previous one.
func (w window) retryAfter(limit, need int64) time.Duration {
	size, elapsed := float64(w.size), float64(w.elapsed)
	room := float64(limit - need)
	switch {
	case room < 0:
		return w.size // never fits; a window is as good an answer as any
	case float64(w.curr) <= room && w.prev > 0:
		// prev·(size−elapsed−t)/size + curr ≤ room
		t := size - elapsed - (room-float64(w.curr))*size/float64(w.prev)
		return time.Duration(max(t, 0))
	case float64(w.curr) <= room:
		return 0
	}
	// After the current window ends its count decays as the previous one.
	t := size * (1 - room/float64(w.curr))
	return time.Duration(size - elapsed + max(t, 0))
}
