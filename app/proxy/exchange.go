package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/tidwall/gjson"
	"github.com/valyala/bytebufferpool"

	"github.com/keypool/keypool/app/clientwatch"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/tokens"
)

// exchange is one client request from the moment a key answered until the
// answer is delivered: it owns the upstream body, the watch on the client
// and the outcome that goes to the recorder once, at the end.
type exchange struct {
	p      *Proxy
	t      *Target
	ctx    context.Context
	wt     *clientwatch.Watch
	cancel context.CancelCauseFunc
	key    *pool.Key
	tok    tokens.Token  // the client token, for its tpm budget
	body   io.ReadCloser // the upstream answer
	lines  *lineFilter   // reads body, for streams
	out    stats.Outcome
	// dropUsage hides the usage-only chunk Keypool asked for.
	dropUsage bool
	streaming bool                       // handed to fasthttp as a body stream
	done      bool                       // reached the end of the upstream body
	broken    error                      // the upstream body failed before its end
	answer    *bytebufferpool.ByteBuffer // a whole answer read, until finish
	once      sync.Once
	// pass is the request's admission by the provider's health tracker.
	pass health.Pass
	// handedOff: the exchange went to fasthttp as a body stream, which
	// finishes it; otherwise the handler does.
	handedOff bool
}

// respond sends an upstream answer to the client. It reports whether the
// exchange was handed to fasthttp as a body stream (which then finishes
// it); otherwise the caller finishes it.
func (x *exchange) respond(c *fiber.Ctx, resp *http.Response) bool {
	x.out.Status = resp.StatusCode
	x.out.Success = resp.StatusCode >= 200 && resp.StatusCode < 300
	if x.key != nil {
		x.out.Key = x.key.APIKey()
	}
	c.Status(resp.StatusCode)
	copyResponseHeaders(c, resp.Header)
	if isStream(resp.Header.Get("Content-Type")) {
		x.body = resp.Body
		x.wt.SetIdle(x.p.cfg.StreamIdleTimeout)
		// fasthttp reads this until EOF after the handler returns, writing
		// and flushing one chunk per Read, and calls Close at the end or
		// when the client is gone.
		ct := resp.Header.Get("Content-Type")
		x.lines = newLineFilter(resp.Body, x.dropUsage, strings.HasPrefix(ct, "application/x-ndjson"))
		x.streaming = true
		x.p.streams.Add(1)
		c.Context().SetBodyStream(x, -1)
		return true
	}
	data, err := x.readAnswer(resp)
	if err != nil {
		x.out.Status, x.out.Success = fiber.StatusBadGateway, false
		c.Response().Header.Del(fiber.HeaderContentType)
		_ = WriteError(c, errBroken(err.Error()))
		return false
	}
	x.setBody(c, data)
	return false
}

// errTooLarge marks an answer over MaxResponseBytes.
var errTooLarge = errors.New("the upstream answer is larger than MAX_RESPONSE_BYTES")

// answerBufs recycles the buffers whole answers are read into: the
// client gets a copy in fasthttp's own pooled body buffer, so a JSON answer
// costs no allocation of its size.
var answerBufs bytebufferpool.Pool

// readAnswer reads a whole (non-stream) answer, bounded in size and in
// silence, and checks that a JSON answer is JSON. The bytes stay valid
// until the exchange finishes.
func (x *exchange) readAnswer(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	x.wt.SetIdle(x.p.cfg.StreamIdleTimeout)
	buf := answerBufs.Get()
	_, err := buf.ReadFrom(io.LimitReader(touchReader{resp.Body, x.wt}, x.p.cfg.MaxResponseBytes+1))
	data := buf.B
	switch {
	case err != nil:
		err = fmt.Errorf("the upstream answer broke off: %w", err)
	case int64(len(data)) > x.p.cfg.MaxResponseBytes:
		err = errTooLarge
	case strings.Contains(resp.Header.Get("Content-Type"), "json") && !gjson.ValidBytes(data):
		err = errors.New("the upstream answer is not valid JSON")
	}
	if err != nil {
		answerBufs.Put(buf)
		return nil, err
	}
	x.answer = buf
	return data, nil
}

// respondWhole sends a whole answer read by readAnswer.
func (x *exchange) respondWhole(c *fiber.Ctx, resp *http.Response, data []byte) {
	x.out.Status = resp.StatusCode
	x.out.Success = resp.StatusCode >= 200 && resp.StatusCode < 300
	x.out.Key = x.key.APIKey()
	c.Status(resp.StatusCode)
	copyResponseHeaders(c, resp.Header)
	x.setBody(c, data)
}

func (x *exchange) setBody(c *fiber.Ctx, data []byte) {
	if u := jsonUsage(data); u.seen {
		x.out.PromptTokens, x.out.CompletionTokens = u.prompt, u.completion
	}
	c.Response().SetBody(data) // a copy: data goes back to answerBufs
}

// touchReader notes activity on the watch at every read.
type touchReader struct {
	r  io.Reader
	wt *clientwatch.Watch
}

func (t touchReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if n > 0 {
		t.wt.Touch()
	}
	return n, err
}

// Read passes the upstream body through, noting activity for the idle
// watch and the end of the body.
func (x *exchange) Read(b []byte) (n int, err error) {
	defer func() {
		// A panic here would run on fasthttp's goroutine, out of Fiber's
		// recover middleware's reach, and kill the process.
		if r := recover(); r != nil {
			x.p.log.Error("proxy: panic while streaming", "panic", r)
			n, err = 0, io.ErrUnexpectedEOF
		}
	}()
	if x.lines != nil {
		n, err = x.lines.Read(b)
	} else {
		n, err = x.body.Read(b)
	}
	if n > 0 {
		x.wt.Touch()
	}
	if err == io.EOF {
		x.done = true
	} else if err != nil {
		x.broken = err
	}
	return n, err
}

// Close ends the exchange; fasthttp calls it at EOF or when the client is
// gone.
func (x *exchange) Close() error {
	x.finish()
	return nil
}

// finish releases the upstream request and records the outcome, once.
func (x *exchange) finish() {
	x.once.Do(func() {
		x.p.watcher.Remove(x.wt)
		cause := context.Cause(x.ctx)
		x.cancel(nil)
		if x.body != nil {
			x.body.Close()
			if x.lines != nil {
				if x.lines.usage.seen {
					x.out.PromptTokens, x.out.CompletionTokens = x.lines.usage.prompt, x.lines.usage.completion
				}
				x.lines.release()
				x.lines = nil // back in the pool: a late Read gets the closed body's error
			}
			// A client that leaves mid-answer got its 2xx: still a success.
			// An upstream that broke off or went silent is a failure.
			if !x.done && x.out.Success && x.broken != nil && cause != clientwatch.ErrClientGone {
				x.out.Success, x.out.Status = false, fiber.StatusBadGateway
				upstreamFailure(x.t, &x.pass, x.key, errBroken("the upstream stream broke off: "+x.broken.Error()))
			}
		}
		if x.answer != nil {
			answerBufs.Put(x.answer)
			x.answer = nil
		}
		x.out.Latency = time.Since(x.out.At)
		x.p.recorder.Record(x.out)
		x.t.observer().Request(x.out.Model, x.out.Status)
		x.p.chargeTokens(x.t, x.tok, x.out.PromptTokens+x.out.CompletionTokens)
		if x.streaming {
			x.p.streams.Add(-1)
		}
	})
}

func isStream(contentType string) bool {
	return strings.HasPrefix(contentType, "text/event-stream") || strings.HasPrefix(contentType, "application/x-ndjson")
}
