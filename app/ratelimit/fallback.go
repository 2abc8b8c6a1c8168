package ratelimit

import (
	"context"
	"log/slog"
	"time"

	"github.com/keypool/keypool/app/outage"
)

// probeEvery is how often an unreachable primary is asked whether it is back.
const probeEvery = time.Second

// Fallback uses a primary limiter (Redis) and, while it fails, a local one
// (memory): a Redis outage loosens limits to one instance's view instead
// of failing client requests. The outage is tracked by app/outage: it is
// logged once, the primary is probed in the background (a limit check is
// on every request's path and never waits on it), and the limiter returns
// to it when it answers again.
type Fallback struct {
	primary Limiter
	local   Limiter
	down    *outage.Outage
}

// NewFallback returns a limiter that prefers primary; ping tells whether
// the primary is reachable again.
func NewFallback(primary, local Limiter, ping func(ctx context.Context) error, log *slog.Logger) *Fallback {
	return &Fallback{primary: primary, local: local, down: outage.NewProbed(probeEvery, log,
		"ratelimit: redis unreachable; limits are counted per instance in memory until it is back",
		"ratelimit: redis is back; limits are shared again", ping)}
}

// Degraded says whether the local limiter is in use.
func (f *Fallback) Degraded() bool { return f.down.Down() }

// Allow implements Limiter; it never fails.
func (f *Fallback) Allow(ctx context.Context, key string, l Limit, n int64) (Result, error) {
	if !f.down.Skip() {
		r, err := f.primary.Allow(ctx, key, l, n)
		if err == nil {
			return r, nil
		}
		f.down.Fail(ctx, err)
	}
	return f.local.Allow(ctx, key, l, n)
}

// Charge implements Limiter; it never fails.
func (f *Fallback) Charge(ctx context.Context, key string, l Limit, n int64) error {
	if !f.down.Skip() {
		err := f.primary.Charge(ctx, key, l, n)
		if err == nil {
			return nil
		}
		f.down.Fail(ctx, err)
	}
	return f.local.Charge(ctx, key, l, n)
}

// MarkDown switches to the local limiter, as after a failed call (a
// gateway that cannot reach Redis at start).
func (f *Fallback) MarkDown(err error) { f.down.Fail(context.Background(), err) }
