package gateway

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// connTracker knows every open client connection, so that shutdown can
// close the ones fasthttp would wait on forever: a connection a client
// opened but never sent a request on counts as active in fasthttp v1.51
// and has no read deadline.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newConnTracker() *connTracker { return &connTracker{conns: map[net.Conn]struct{}{}} }

// hook is fasthttp's ConnState callback.
func (t *connTracker) hook(c net.Conn, s fasthttp.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s {
	case fasthttp.StateNew:
		t.conns[c] = struct{}{}
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		delete(t.conns, c)
	}
}

// closeAll closes every connection still open.
func (t *connTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.conns {
		c.Close()
	}
}

// handlers counts requests whose handler is running.
type handlers struct {
	n atomic.Int64 // running now
	// served counts client-route requests since the start: whether the
	// gateway was idle (health checks and scrapes do not count).
	served atomic.Int64
}

func (h *handlers) middleware(c *fiber.Ctx) error {
	if isClientPath(c.Path()) {
		h.served.Add(1)
	}
	h.n.Add(1)
	defer h.n.Add(-1)
	return c.Next()
}

// drain stops accepting, waits until no handler runs and no stream is
// being delivered (or ctx ends), then closes the connections left, which
// are idle or never used.
func (g *Gateway) drain(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- g.app.ShutdownWithContext(ctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for g.running.n.Load() > 0 || g.proxy.Streams() > 0 {
		select {
		case <-ctx.Done():
			g.log.Warn("shutdown: grace period over; cutting requests still running",
				"handlers", g.running.n.Load(), "streams", g.proxy.Streams())
			g.conns.closeAll()
			return <-done
		case <-tick.C:
		}
	}
	g.conns.closeAll()
	return <-done
}
