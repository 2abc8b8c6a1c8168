package gateway

import (
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/proxy"
)

// newApp configures Fiber for a proxy: no write timeout (it would cut long
// streams; silence is bounded by the proxy's idle watch), the body limit
// enforced before the handler, and raw bodies kept as sent.
func (g *Gateway) newApp() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "keypool",
		DisableStartupMessage: true,
		// The larger of the two limits; the proxy enforces MAX_BODY_BYTES itself.
		BodyLimit: max(g.cfg.MaxBodyBytes, g.cfg.MaxImportBytes),
		// A slow or idle client cannot hold a connection: the whole request
		// must arrive within READ_TIMEOUT, and a kept-alive connection may
		// sit idle for IDLE_TIMEOUT. No write timeout: it would cut long
		// streams (the proxy bounds upstream silence instead).
		ReadTimeout:    g.cfg.ReadTimeout,
		WriteTimeout:   0,
		IdleTimeout:    g.cfg.IdleTimeout,
		ReadBufferSize: 16 << 10,
		// A connection gives its 16 KB reader back once the request is
		// read, and its request context while it waits idle for the next
		// one: with 2,000 slow requests in flight the readers were a third
		// of the heap. No cost measured in the sustained bench.
		ReduceMemoryUsage: true,
		ErrorHandler:      g.handleError,
	})
	g.conns = newConnTracker()
	app.Server().ConnState = g.conns.hook
	// fasthttp's errors for a request it cannot parse quote the request,
	// Authorization header included, and fiber answers that text: keep the
	// quote out of the error and give the client a fixed message.
	app.Server().SecureErrorLogMessage = true
	answerParseError := app.Server().ErrorHandler
	app.Server().ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) { answerParseError(ctx, readError{err}) }
	app.Use(g.running.middleware)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		g.log.Error("panic in handler", "path", c.Path(), "panic", e)
	}}))
	return app
}

// handleError maps every error once: OpenAI-shaped JSON on client routes,
// {"error":"…"} on the admin API.
func (g *Gateway) handleError(c *fiber.Ctx, err error) error {
	var (
		pe *proxy.Error
		fe *fiber.Error
	)
	if status, msg, ok := admin.Answer(err); ok {
		return c.Status(status).JSON(fiber.Map{"error": msg})
	}
	switch {
	case errors.As(err, &pe):
		return proxy.WriteError(c, pe)
	case errors.As(err, &fe):
		if isAdminPath(c.Path()) {
			return c.Status(fe.Code).JSON(fiber.Map{"error": fe.Message})
		}
		return proxy.WriteError(c, &proxy.Error{Status: fe.Code, Type: errorType(fe.Code), Code: errorCode(fe.Code), Message: fe.Message})
	}
	g.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	if isAdminPath(c.Path()) {
		return c.Status(fiber.StatusInternalServerError).JSON(fiber.Map{"error": "internal error"})
	}
	return proxy.WriteError(c, &proxy.Error{Status: fiber.StatusInternalServerError, Type: "server_error", Code: "internal_error", Message: "internal error"})
}

// readError is an error of reading a request, with a message that says
// nothing of what was read. Fiber still finds its kind (headers too large,
// timeout, body too large) through Unwrap, and answers the status it did.
type readError struct{ err error }

func (e readError) Error() string {
	var ne net.Error
	if errors.Is(e.err, fasthttp.ErrTimeout) || errors.As(e.err, &ne) && ne.Timeout() {
		return "request timeout"
	}
	return "malformed request"
}

func (e readError) Unwrap() error { return e.err }

func isAdminPath(p string) bool { return p == "/admin" || strings.HasPrefix(p, "/admin/") }

func errorType(status int) string {
	if status >= 500 {
		return "server_error"
	}
	return "invalid_request_error"
}

func errorCode(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "not_found"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusRequestEntityTooLarge:
		return "request_too_large"
	case fiber.StatusBadRequest:
		return "bad_request"
	}
	return "http_" + strconv.Itoa(status)
}
