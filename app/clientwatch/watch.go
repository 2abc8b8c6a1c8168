// Package clientwatch notices what fasthttp does not: a client that hangs
// up while its request is still being worked on — waiting for the
// database or an upstream, or in a long gap between two stream chunks —
// and a stream that has gone silent. One goroutine polls every watched
// client socket at once each interval and cancels the request of any that
// has hung up (ErrClientGone) or stayed idle past its limit (ErrIdle).
// Where POLLRDHUP is not available only the idle limits are watched.
package clientwatch

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Causes a watched request's context is cancelled with.
var (
	ErrClientGone = errors.New("client went away")
	ErrIdle       = errors.New("idle too long")
)

// DefaultInterval is how often sockets are polled: a gone client is
// noticed within it, at no measurable cost per request.
const DefaultInterval = 250 * time.Millisecond

// Watcher polls the client sockets of the requests it watches.
type Watcher struct {
	interval time.Duration
	mu       sync.Mutex
	watches  map[*Watch]struct{}
}

// Watch is one request being watched.
type Watch struct {
	fd         int // client socket, -1 if unknown
	cancel     context.CancelCauseFunc
	idle       atomic.Int64 // nanoseconds; 0: no idle limit (yet)
	lastActive atomic.Int64 // unix nanoseconds of the last Touch
}

// New returns a watcher polling every interval; Run starts it.
func New(interval time.Duration) *Watcher {
	return &Watcher{interval: interval, watches: map[*Watch]struct{}{}}
}

// Add starts watching a client connection; cancel is called (with
// ErrClientGone or ErrIdle) when its client leaves or it idles too long.
// The caller must Remove the watch before the connection can close.
func (w *Watcher) Add(conn net.Conn, cancel context.CancelCauseFunc) *Watch {
	wt := &Watch{fd: socketFD(conn), cancel: cancel}
	wt.Touch()
	w.mu.Lock()
	w.watches[wt] = struct{}{}
	w.mu.Unlock()
	return wt
}

// Remove stops watching.
func (w *Watcher) Remove(wt *Watch) {
	w.mu.Lock()
	delete(w.watches, wt)
	w.mu.Unlock()
}

// Touch records activity: the idle limit counts from the last Touch.
func (wt *Watch) Touch() { wt.lastActive.Store(time.Now().UnixNano()) }

// SetIdle arms an idle limit of d (0 turns it off), counted from now.
func (wt *Watch) SetIdle(d time.Duration) {
	wt.Touch()
	wt.idle.Store(int64(d))
}

// Run polls until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	var (
		list []*Watch
		fds  []int
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		list, fds = list[:0], fds[:0]
		w.mu.Lock()
		for wt := range w.watches {
			if idle := wt.idle.Load(); idle > 0 && now-wt.lastActive.Load() > idle {
				wt.cancel(ErrIdle)
				continue
			}
			if wt.fd >= 0 {
				list = append(list, wt)
				fds = append(fds, wt.fd)
			}
		}
		w.mu.Unlock()
		for i, gone := range hungUp(fds) {
			if gone {
				list[i].cancel(ErrClientGone)
			}
		}
	}
}
