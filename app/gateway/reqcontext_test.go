package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/clientwatch"
)

// newContextApp is a Fiber app with the request context middleware (and
// the gateway's error mapping) in front of handler on /admin/x and /page,
// with its client watcher running until the test ends.
func newContextApp(t *testing.T, timeout time.Duration, handler fiber.Handler) *fiber.App {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	g := &Gateway{log: log}
	w := clientwatch.New(20 * time.Millisecond)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: g.handleError})
	app.Use(requestContext(timeout, w, log))
	app.Get("/admin/x", handler)
	app.Get("/page", handler)
	return app
}

// storeWait stands for a store call: it waits for ctx and fails with its
// error, wrapped as the store wraps it.
func storeWait(ctx context.Context) error {
	<-ctx.Done()
	return fmt.Errorf("store: key page: %w", ctx.Err())
}

// TestRequestContext: every request has a context with the deadline of
// the setting, ended when the handler returns; a handler cut by the
// deadline answers 503 naming the setting (JSON on the admin API, text on
// a page); a handler's own errors pass unchanged.
func TestRequestContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		timeout    time.Duration
		path       string
		handler    func(c *fiber.Ctx) error
		wantStatus int
		wantBody   string
		wantType   string
	}{
		{name: "admin past the deadline", timeout: 50 * time.Millisecond, path: "/admin/x",
			handler:    func(c *fiber.Ctx) error { return storeWait(c.UserContext()) },
			wantStatus: http.StatusServiceUnavailable, wantBody: `{"error":"the request took longer than ADMIN_REQUEST_TIMEOUT (50ms)"}`,
			wantType: fiber.MIMEApplicationJSON},
		{name: "page past the deadline", timeout: 50 * time.Millisecond, path: "/page",
			handler:    func(c *fiber.Ctx) error { return storeWait(c.UserContext()) },
			wantStatus: http.StatusServiceUnavailable, wantBody: "the request took longer than ADMIN_REQUEST_TIMEOUT (50ms); try again, or raise it.",
			wantType: fiber.MIMETextPlainCharsetUTF8},
		{name: "own error", timeout: time.Second, path: "/admin/x",
			handler:    func(c *fiber.Ctx) error { return fiber.NewError(fiber.StatusNotFound, "no such key") },
			wantStatus: http.StatusNotFound, wantBody: `{"error":"no such key"}`, wantType: fiber.MIMEApplicationJSON},
		{name: "success", timeout: time.Second, path: "/page",
			handler:    func(c *fiber.Ctx) error { return c.SendString("ok") },
			wantStatus: http.StatusOK, wantBody: "ok", wantType: fiber.MIMETextPlainCharsetUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				seen     context.Context
				deadline time.Time
				ok       bool
			)
			app := newContextApp(t, tt.timeout, func(c *fiber.Ctx) error {
				seen = c.UserContext()
				deadline, ok = seen.Deadline()
				return tt.handler(c)
			})
			start := time.Now()
			resp, err := app.Test(httptest.NewRequest(http.MethodGet, tt.path, nil), 5000)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody || resp.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("answer %d %q (%s), want %d %q (%s)", resp.StatusCode, body, resp.Header.Get("Content-Type"),
					tt.wantStatus, tt.wantBody, tt.wantType)
			}
			if !ok || deadline.Before(start.Add(tt.timeout)) || deadline.After(time.Now().Add(tt.timeout)) {
				t.Errorf("deadline %v (set %v), want %v after the request came in", deadline.Sub(start), ok, tt.timeout)
			}
			if seen.Err() == nil {
				t.Error("the request context is still alive after the handler returned")
			}
		})
	}
}

// TestRequestContextEndsWhenClientLeaves: a handler waiting on the store
// sees its context cancelled within a second of its client hanging up,
// long before the deadline.
func TestRequestContextEndsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	type outcome struct {
		err, cause error
		after      time.Duration
	}
	tests := []struct{ name, path string }{
		{"admin API", "/admin/x"},
		{"page", "/page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entered, ended := make(chan struct{}), make(chan outcome, 1)
			app := newContextApp(t, time.Minute, func(c *fiber.Ctx) error {
				ctx := c.UserContext()
				close(entered)
				start := time.Now()
				err := storeWait(ctx)
				ended <- outcome{err: err, cause: context.Cause(ctx), after: time.Since(start)}
				return err
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan struct{})
			go func() { app.Listener(ln); close(served) }()
			t.Cleanup(func() { app.Shutdown(); <-served })

			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(conn, "GET "+tt.path+" HTTP/1.1\r\nHost: keypool\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-entered:
			case <-time.After(5 * time.Second):
				t.Fatal("the handler was not called")
			}
			conn.Close()
			select {
			case o := <-ended:
				if !errors.Is(o.err, context.Canceled) || o.cause != clientwatch.ErrClientGone {
					t.Errorf("context ended with %v (cause %v), want context.Canceled by clientwatch.ErrClientGone", o.err, o.cause)
				}
				if o.after > time.Second {
					t.Errorf("ended %v after the request came in, want within 1s of the hang-up", o.after)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("the request context did not end within 2s of the client hanging up")
			}
		})
	}
}

// TestRequestContextLeavesStreamsAlone: a stream handed to fasthttp is
// written after the handler returned, so the deadline does not cut it.
func TestRequestContextLeavesStreamsAlone(t *testing.T) {
	t.Parallel()
	app := newContextApp(t, 50*time.Millisecond, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/event-stream")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			for i := range 4 {
				time.Sleep(50 * time.Millisecond)
				fmt.Fprintf(w, "data: %d\n\n", i)
				if w.Flush() != nil {
					return
				}
			}
		})
		return nil
	})
	start := time.Now()
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, "/admin/x", nil), 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if elapsed := time.Since(start); resp.StatusCode != http.StatusOK || strings.Count(string(body), "data: ") != 4 || elapsed < 200*time.Millisecond {
		t.Errorf("stream: %d %q after %v, want 4 events over 200ms, four times the deadline", resp.StatusCode, body, elapsed)
	}
}
