// Package outage keeps a failing dependency (Redis) off the request path:
// after an error, callers skip it for a moment, then one call probes it
// while the others go on skipping, and only the start and the end of an
// outage are logged, not every request.
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
}

// New returns a tracker that skips the dependency for retry after each
// error, logging down when an outage starts and back when it ends.
func New(retry time.Duration, log *slog.Logger, down, back string) *Outage {
	if log == nil {
		log = slog.Default()
	}
	return &Outage{retry: retry, log: log, down: down, back: back}
}

// Skip says whether the dependency is to be left alone now. Once the pause
// is over, one call probes it while the others go on skipping, so that a
// dependency still away costs one request a timeout, not all of them.
func (o *Outage) Skip() bool {
	u := o.until.Load()
	if u == 0 {
		return false
	}
	now := time.Now().UnixNano()
	if now < u {
		return true
	}
	return !o.until.CompareAndSwap(u, now+int64(o.retry))
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
