package clientwatch

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestWatcher(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pipe    bool          // a connection with no socket under it
		idle    time.Duration // armed idle limit
		hangUp  bool          // the client closes its end
		remove  bool          // the watch is removed before the client closes
		want    error         // cause, or nil: still running after a while
		linux   bool          // needs POLLRDHUP
		touches bool          // activity keeps the idle limit away
	}{
		{name: "client hangs up", hangUp: true, want: ErrClientGone, linux: true},
		{name: "client stays", want: nil},
		{name: "removed before the client hangs up", hangUp: true, remove: true, want: nil},
		{name: "idle past the limit", idle: 60 * time.Millisecond, want: ErrIdle},
		{name: "active within the limit", idle: 150 * time.Millisecond, touches: true, want: nil},
		{name: "no socket: hang-up unseen", pipe: true, hangUp: true, want: nil},
		{name: "no socket: idle still watched", pipe: true, idle: 60 * time.Millisecond, want: ErrIdle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.linux && runtime.GOOS != "linux" {
				t.Skip("POLLRDHUP is Linux's")
			}
			w := New(10 * time.Millisecond)
			ctx, stop := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { w.Run(ctx); close(done) }()
			t.Cleanup(func() { stop(); <-done })

			var server, client net.Conn
			if tt.pipe {
				server, client = net.Pipe()
				t.Cleanup(func() { server.Close(); client.Close() })
			} else {
				server, client = pair(t)
			}
			req, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			wt := w.Add(server, cancel)
			if tt.idle > 0 {
				wt.SetIdle(tt.idle)
			}
			if tt.remove {
				w.Remove(wt)
			}
			if tt.hangUp {
				client.Close()
			}
			d, touch := time.Second, func() {}
			if tt.want == nil {
				d = 300 * time.Millisecond // long enough for many polls
			}
			if tt.touches {
				touch = wt.Touch
			}
			if got := causeWithin(req, d, touch); got != tt.want {
				t.Fatalf("cause %v within %v, want %v", got, d, tt.want)
			}
		})
	}
}

// causeWithin waits up to d for ctx to end and returns its cause (nil if it
// did not end), calling tick every 20 ms meanwhile.
func causeWithin(ctx context.Context, d time.Duration, tick func()) error {
	deadline := time.After(d)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-deadline:
			return nil
		case <-t.C:
			tick()
		}
	}
}
