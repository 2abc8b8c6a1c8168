// Package outage keeps a failing dependency (Redis) off the request path:
// after an error, callers skip it for a moment, then one call probes it
// while the others go on skipping — or, for a dependency asked on every
// request (the rate limiter), a probe in the background does, so that no
// request waits on it — and only the start and the end of an outage are
// logged, not every request. The response cache, the dashboard's storage
// and the rate limiter's Redis all use it.
package outage

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Outage tracks one dependency. The zero value is not ready; use New.
type Outage struct {
	until      atomic.Int64 // Unix nanoseconds until which the dependency is skipped; 0: up
	retry      time.Duration
	log        *slog.Logger
	down, back string // the messages logged when an outage starts and ends
	// probe, when set, asks the dependency in the background once a pause
	// is over (NewProbed); probing says one is under way.
	probe   func(ctx context.Context) error
	probing atomic.Bool
}

// New returns a tracker that skips the dependency for retry after each
// error, logging down when an outage starts and back when it ends.
func New(retry time.Duration, log *slog.Logger, down, back string) *Outage {
	if log == nil {
		log = slog.Default()
	}
	return &Outage{retry: retry, log: log, down: down, back: back}
}

// NewProbed is New for a dependency no request may wait on: once a pause
// is over, probe asks it in the background (with retry as its timeout)
// and every caller goes on skipping until a probe succeeds.
func NewProbed(retry time.Duration, log *slog.Logger, down, back string, probe func(ctx context.Context) error) *Outage {
	o := New(retry, log, down, back)
	o.probe = probe
	return o
}

// Down reports whether an outage is under way.
func (o *Outage) Down() bool { return o.until.Load() != 0 }

// Skip says whether the dependency is to be left alone now. Once the pause
// is over, one call probes it while the others go on skipping, so that a
// dependency still away costs one request a timeout, not all of them (with
// NewProbed, a background probe instead of that call).
func (o *Outage) Skip() bool {
	u := o.until.Load()
	if u == 0 {
		return false
	}
	now := time.Now().UnixNano()
	if now < u {
		return true
	}
	if !o.until.CompareAndSwap(u, now+int64(o.retry)) {
		return true
	}
	if o.probe == nil {
		return false // this caller is the probe
	}
	o.probeInBackground()
	return true
}

// probeInBackground asks the dependency once, off every caller's time.
func (o *Outage) probeInBackground() {
	if !o.probing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer o.probing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), o.retry)
		defer cancel()
		if o.probe(ctx) == nil {
			o.OK()
		}
	}()
}

// Fail notes an error, logging the first of an outage. An error of a
// request that went away (its context, not the call's own timeout) says
// nothing about the dependency.
func (o *Outage) Fail(request context.Context, err error) {
	if request.Err() != nil {
		return
	}
	if o.until.Swap(time.Now().Add(o.retry).UnixNano()) == 0 {
		o.log.Warn(o.down, "err", err)
	}
}

// OK notes a call that worked, logging the end of an outage.
func (o *Outage) OK() {
	if o.until.Load() != 0 && o.until.Swap(0) != 0 {
		o.log.Info(o.back)
	}
}
