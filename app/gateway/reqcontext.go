package gateway

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/clientwatch"
)

// statusClientClosed answers a request whose client left before the answer
// (nginx's 499); nobody reads it, but it is not a success.
const statusClientClosed = 499

// errRequestDeadline is the cause of a request context that outlived
// ADMIN_REQUEST_TIMEOUT.
var errRequestDeadline = errors.New("ADMIN_REQUEST_TIMEOUT passed")

// requestContext gives every admin and page request a context that ends at
// ADMIN_REQUEST_TIMEOUT, as soon as the client hangs up (watched on its
// socket: fasthttp does not notice) and when the handler returns, so the
// store calls made with c.UserContext() stop with it.
//
// The deadline bounds the handler, not the answer: a stream that a handler
// hands to fasthttp (SetBodyStreamWriter, as the job events do) is written
// after the handler has returned, outside this context, and ends when its
// client does. Client routes do not pass here: the proxy manages their
// contexts itself.
func requestContext(timeout time.Duration, w *clientwatch.Watcher, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithCancelCause(c.UserContext())
		ctx, stop := context.WithTimeoutCause(ctx, timeout, errRequestDeadline)
		wt := w.Add(c.Context().Conn(), cancel)
		defer func() {
			w.Remove(wt)
			stop()
			cancel(context.Canceled)
		}()
		c.SetUserContext(ctx)
		err := c.Next()
		if err == nil || ctx.Err() == nil ||
			!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if context.Cause(ctx) == clientwatch.ErrClientGone {
			log.Debug("gateway: client left before the answer", "method", c.Method(), "path", c.Path())
			c.Status(statusClientClosed)
			return nil
		}
		log.Warn("gateway: request cut at ADMIN_REQUEST_TIMEOUT", "method", c.Method(), "path", c.Path(),
			"timeout", timeout.String(), "err", err)
		msg := "the request took longer than ADMIN_REQUEST_TIMEOUT (" + timeout.String() + ")"
		if isAdminPath(c.Path()) {
			return fiber.NewError(fiber.StatusServiceUnavailable, msg)
		}
		// A page: its error page cannot render on the ended context.
		c.Response().ResetBody()
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusServiceUnavailable).SendString(msg + "; try again, or raise it.")
	}
}
