package proxy

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Causes of a cancelled upstream request.
var (
	errClientGone = errors.New("client went away")
	errIdle       = errors.New("upstream stream idle too long")
)

// watcher notices what fasthttp does not: a client that leaves while the
// gateway waits for upstream headers or sits between two stream chunks,
// and an upstream stream that has gone silent. One goroutine polls every
// registered client socket at once every interval and cancels the request
// of any that has hung up or stayed idle past its limit.
type watcher struct {
	interval time.Duration
	mu       sync.Mutex
	watches  map[*watch]struct{}
}

// watch is one request being watched.
type watch struct {
	fd         int // client socket, -1 if unknown
	cancel     context.CancelCauseFunc
	idle       time.Duration // 0: no idle limit (yet)
	lastActive atomic.Int64  // unix nanoseconds of the last upstream read
}

func newWatcher(interval time.Duration) *watcher {
	return &watcher{interval: interval, watches: map[*watch]struct{}{}}
}

// add starts watching a client connection.
func (w *watcher) add(conn net.Conn, cancel context.CancelCauseFunc) *watch {
	wt := &watch{fd: socketFD(conn), cancel: cancel}
	wt.touch()
	w.mu.Lock()
	w.watches[wt] = struct{}{}
	w.mu.Unlock()
	return wt
}

// remove stops watching.
func (w *watcher) remove(wt *watch) {
	w.mu.Lock()
	delete(w.watches, wt)
	w.mu.Unlock()
}

func (wt *watch) touch() { wt.lastActive.Store(time.Now().UnixNano()) }

// setIdle arms the idle limit (once the stream has started).
func (w *watcher) setIdle(wt *watch, d time.Duration) {
	wt.touch()
	w.mu.Lock()
	wt.idle = d
	w.mu.Unlock()
}

// run polls until ctx ends.
func (w *watcher) run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	var (
		list []*watch
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
			if wt.idle > 0 && now-wt.lastActive.Load() > int64(wt.idle) {
				wt.cancel(errIdle)
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
				list[i].cancel(errClientGone)
			}
		}
	}
}
