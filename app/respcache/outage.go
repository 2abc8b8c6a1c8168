package respcache

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// outage keeps a failing Redis off the request path: after an error, Get
// and Set skip Redis for a moment (a miss, nothing stored), and only the
// first error of an outage and the recovery are logged, not every request.
type outage struct {
	until atomic.Int64 // Unix nanoseconds until which Redis is skipped; 0: up
	retry time.Duration
	log   *slog.Logger
}

// skip says whether Redis is to be left alone now. Once the pause is
// over, one call probes Redis while the others go on skipping it, so that
// a Redis that is still away costs one request a timeout, not all of them.
func (o *outage) skip() bool {
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

// fail notes an error, logging the first of an outage. An error of a
// request that went away (its context, not the call's own timeout) says
// nothing about Redis.
func (o *outage) fail(request context.Context, err error) {
	if request.Err() != nil {
		return
	}
	if o.until.Swap(time.Now().Add(o.retry).UnixNano()) == 0 {
		o.log.Warn("response cache: redis unreachable; requests go upstream until it is back", "err", err)
	}
}

// ok notes a call that worked, logging the end of an outage.
func (o *outage) ok() {
	if o.until.Load() != 0 && o.until.Swap(0) != 0 {
		o.log.Info("response cache: redis is back")
	}
}
