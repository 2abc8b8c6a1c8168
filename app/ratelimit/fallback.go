package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// probeEvery is how often an unreachable primary is asked whether it is back.
const probeEvery = time.Second

// Fallback uses a primary limiter (Redis) and, while it fails, a local one
// (memory): a Redis outage loosens limits to one instance's view instead
// of failing client requests. It warns once per outage, probes the primary
// in the background, and returns to it when it answers again.
type Fallback struct {
	primary Limiter
	local   Limiter
	ping    func(ctx context.Context) error
	log     *slog.Logger

	down      atomic.Bool
	probing   atomic.Bool
	nextProbe atomic.Int64 // unix nanoseconds
}

// NewFallback returns a limiter that prefers primary; ping tells whether
// the primary is reachable again.
func NewFallback(primary, local Limiter, ping func(ctx context.Context) error, log *slog.Logger) *Fallback {
	return &Fallback{primary: primary, local: local, ping: ping, log: log}
}

// Degraded says whether the local limiter is in use.
func (f *Fallback) Degraded() bool { return f.down.Load() }

// Allow implements Limiter; it never fails.
func (f *Fallback) Allow(ctx context.Context, key string, l Limit, n int64) (Result, error) {
	if !f.down.Load() {
		r, err := f.primary.Allow(ctx, key, l, n)
		if err == nil {
			return r, nil
		}
		f.fail(ctx, err)
	} else {
		f.probe()
	}
	return f.local.Allow(ctx, key, l, n)
}

// Charge implements Limiter; it never fails.
func (f *Fallback) Charge(ctx context.Context, key string, l Limit, n int64) error {
	if !f.down.Load() {
		err := f.primary.Charge(ctx, key, l, n)
		if err == nil {
			return nil
		}
		f.fail(ctx, err)
	} else {
		f.probe()
	}
	return f.local.Charge(ctx, key, l, n)
}

// MarkDown switches to the local limiter, as after a failed call (a
// gateway that cannot reach Redis at start).
func (f *Fallback) MarkDown(err error) { f.fail(context.Background(), err) }

// fail switches to the local limiter, unless the call failed only because
// its own request was cancelled.
func (f *Fallback) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	f.nextProbe.Store(time.Now().Add(probeEvery).UnixNano())
	if f.down.CompareAndSwap(false, true) {
		f.log.Warn("ratelimit: redis unreachable; limits are counted per instance in memory until it is back", "err", err)
	}
}

// probe asks the primary, at most once per probeEvery and never on the
// caller's time, whether it is back.
func (f *Fallback) probe() {
	if time.Now().UnixNano() < f.nextProbe.Load() || !f.probing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer f.probing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), probeEvery)
		defer cancel()
		if err := f.ping(ctx); err != nil {
			f.nextProbe.Store(time.Now().Add(probeEvery).UnixNano())
			return
		}
		if f.down.CompareAndSwap(true, false) {
			f.log.Info("ratelimit: redis is back; limits are shared again")
		}
	}()
}
