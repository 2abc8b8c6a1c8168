package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/tidwall/sjson"

	"github.com/keypool/keypool/app/clientwatch"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/stats"
)

// maxErrorBody is how much of an upstream error answer is read to classify
// it and to report it.
const maxErrorBody = 64 << 10

// StatusClientClosed is recorded when the client left before its answer
// was complete (nginx's convention).
const StatusClientClosed = 499

// forward serves one client request: auth, body check, then up to
// MaxRetries keys until one answers with something other than a key or
// upstream error.
func (p *Proxy) forward(c *fiber.Ctx, t *Target, rt route) error {
	start := time.Now()
	if !t.Provider.Enabled() {
		return errProviderOff(t.Provider.Label)
	}
	var err error
	tok, ok := t.Tokens.Lookup(bearer(c))
	if !ok && !p.openWithoutToken(c, rt) {
		return errToken(t.Tokens, bearer(c))
	}
	if tok.Limited() {
		if e := p.limitToken(c, t, tok); e != nil {
			return e // refused before any key: counted in metrics, not in the statistics
		}
	}
	body := c.Request().Body()
	if p.cfg.MaxBodyBytes > 0 && len(body) > p.cfg.MaxBodyBytes {
		return &Error{Status: fiber.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
			Message: fmt.Sprintf("the request body is larger than %d bytes", p.cfg.MaxBodyBytes)}
	}
	var req request
	if c.Method() == fiber.MethodPost {
		peekBody := body
		if len(c.Request().Header.ContentEncoding()) > 0 {
			peekBody = c.Body() // decompressed copy, for reading model and stream only
		}
		if req, ok = peek(peekBody); !ok {
			return errBadBody("the request body must be a JSON object")
		}
	}
	if rt.native {
		req.Stream = req.Stream || !req.StreamSet // Ollama streams unless told not to
	}
	askedUsage := !rt.native && p.askUsage(t, req)
	url := rt.url
	if askedUsage {
		if body, err = sjson.SetBytes(bytes.Clone(body), "stream_options.include_usage", true); err != nil {
			return errBadBody("the request body must be a JSON object")
		}
	}
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		url += "?" + string(q)
	}
	var ticket cacheTicket
	if rt.cached && p.cfg.Cache != nil {
		var hit bool
		if ticket, hit = p.lookupCache(c, t, url, req, body); hit {
			return nil
		}
	}

	ctx, cancel := context.WithCancelCause(c.UserContext())
	wt := p.watcher.Add(c.Context().Conn(), cancel)
	x := &exchange{p: p, t: t, ctx: ctx, wt: wt, cancel: cancel, dropUsage: askedUsage, tok: tok, out: stats.Outcome{
		Provider: t.Provider.ID, Model: req.Model, Token: tok.ID, Stream: req.Stream, At: start,
	}}
	defer func() {
		if !x.handedOff {
			x.finish()
		}
	}()

	var (
		buf   [8]*pool.Key
		tried = buf[:0]
		last  *Error
		obs   = t.observer()
	)
	var refused *health.Refusal
	if x.pass, refused = t.Health.Admit(req.Model); refused != nil {
		last = errDegraded(refused)
	}
	defer x.pass.Done()
	for attempt := 0; refused == nil && attempt < p.cfg.MaxRetries; attempt++ {
		k, err := t.Pool.Pick(req.Model, tried)
		if err != nil {
			if attempt == 0 {
				last = errShortage(t.Pool.Shortage(t.Provider.Label, req.Model))
			}
			break
		}
		if attempt > 0 {
			obs.Retry()
		}
		tried = append(tried, k)
		next, e := x.try(c, k, url, body, ticket)
		if next == answered {
			if rt.trial {
				x.tellTrial(c, len(tried))
			}
			return nil
		}
		last = e
		if next == stop {
			break
		}
	}
	x.out.Status = last.Status
	return last
}

// step is what forward does after one attempt.
type step int

const (
	answered step = iota // the client has its answer, or has left
	nextKey              // try another key
	stop                 // no other key would do better: answer with the error
)

// try makes one upstream attempt with key k and reads what its answer
// means: for the client, for the key (the pool) and for the upstream's
// health (the tracker).
func (x *exchange) try(c *fiber.Ctx, k *pool.Key, url string, body []byte, ticket cacheTicket) (step, *Error) {
	p, t := x.p, x.t
	sent := time.Now()
	resp, err := p.send(x.ctx, c, t, url, body, k.APIKey())
	t.observer().Upstream(time.Since(sent))
	if err != nil {
		if x.clientGone(c) {
			return x.left(k)
		}
		return x.upstreamFailed(k, transportError(err, p.cfg.UpstreamTimeout))
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case ok && !isStream(resp.Header.Get("Content-Type")):
		// A whole answer is read before anything reaches the client, so
		// a broken one can still fail over.
		data, rerr := x.readAnswer(resp)
		switch {
		case rerr == nil:
			x.succeeded(k)
			x.respondWhole(c, resp, data)
			p.storeAnswer(c, ticket, resp.StatusCode, resp.Header.Get("Content-Type"), data)
			return answered, nil
		case x.clientGone(c):
			return x.left(k)
		case errors.Is(rerr, errTooLarge):
			// The content, not the key: another key would send the same.
			x.out.Key = k.APIKey()
			return stop, errBroken(rerr.Error())
		}
		return x.upstreamFailed(k, errBroken(rerr.Error()))
	case ok:
		x.succeeded(k)
		x.handedOff = x.respond(c, resp)
		return answered, nil
	}
	v := classify(t.Provider, resp.StatusCode, resp.Header, nil, time.Now())
	if !v.retry {
		x.key = k
		x.handedOff = x.respond(c, resp) // the client's own error: passed on as sent
		return answered, nil
	}
	errBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	v = classify(t.Provider, resp.StatusCode, resp.Header, errBody, time.Now())
	e := upstreamError(resp.StatusCode, resp.Header, errBody, k.APIKey())
	switch {
	case v.upstream:
		return x.upstreamFailed(k, e)
	case v.modelOut:
		t.Pool.BlockModel(k, x.out.Model)
	default:
		t.Pool.Mark(k, v.event, v.until)
	}
	x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
	return nextKey, e
}

// clientGone reports whether the client left while an attempt was made.
func (x *exchange) clientGone(c *fiber.Ctx) bool {
	return context.Cause(x.ctx) == clientwatch.ErrClientGone || c.Context().Err() != nil
}

// left ends a request whose client is gone. The attempt counts in the
// key's figures, but the key is not to blame.
func (x *exchange) left(k *pool.Key) (step, *Error) {
	x.out.Status = StatusClientClosed
	x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
	return answered, nil
}

// succeeded records a key's success, for the pool and for the health of
// the provider and the model.
func (x *exchange) succeeded(k *pool.Key) {
	x.t.Pool.Mark(k, pool.Success, time.Time{})
	for _, bad := range x.pass.Success() {
		x.t.Pool.Mark(bad, pool.Transient, time.Time{}) // failed where k just succeeded
	}
	x.key = k
}

// upstreamFailed takes an attempt that failed upstream-wide (no answer, a
// timeout, 408, 5xx, a broken answer): the key rests only when the failure
// is its own, and when the provider's or the model's breaker is open now,
// no more keys are spent on the request.
func (x *exchange) upstreamFailed(k *pool.Key, e *Error) (step, *Error) {
	x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
	if degraded := upstreamFailure(x.t, &x.pass, k, e); degraded != nil {
		return stop, degraded
	}
	return nextKey, e
}

// upstreamFailure tells the provider's health of an upstream-wide failure
// with key k. The key rests only when the failure is its own; when the
// provider's or the model's breaker is open now, it returns the answer
// for the client instead of another try.
func upstreamFailure(t *Target, pass *health.Pass, k *pool.Key, e *Error) *Error {
	own, open := pass.Failure(k, e.Status, e.Message)
	if own {
		t.Pool.Mark(k, pool.Transient, time.Time{})
	}
	if open != nil {
		return errDegraded(open)
	}
	return nil
}

// askUsage says whether to ask an Ollama stream for usage on the client's
// behalf: OpenRouter always sends it, and a client that asked gets it.
func (p *Proxy) askUsage(t *Target, req request) bool {
	return p.cfg.StreamUsage && req.Stream && !req.IncludeUsage && t.Provider.ID == provider.Ollama
}

// send makes one upstream attempt with one key. It goes to the transport
// directly, as a reverse proxy does: an upstream redirect reaches the
// client like any other answer instead of being followed with the key,
// and no copy of the headers is made for redirects that never come
// (http.Client does that for every request).
func (p *Proxy) send(ctx context.Context, c *fiber.Ctx, t *Target, url string, body []byte, apiKey string) (*http.Response, error) {
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method(), url, rd)
	if err != nil {
		return nil, err
	}
	setUpstreamHeaders(req, c, t, apiKey)
	return p.upstream.RoundTrip(req)
}

// transportError turns a failed attempt (no answer) into what the client
// sees if no other key does better.
func transportError(err error, timeout time.Duration) *Error {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Status: fiber.StatusGatewayTimeout, Type: "upstream_error", Code: "upstream_timeout",
			Message: "the upstream did not answer within " + timeout.String()}
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error() // without the URL
	}
	return &Error{Status: fiber.StatusBadGateway, Type: "upstream_error", Code: "upstream_unreachable",
		Message: "the upstream request failed: " + msg}
}
