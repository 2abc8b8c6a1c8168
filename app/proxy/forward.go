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
		return errProviderOff(t)
	}
	var err error
	tok, ok := t.Tokens.Lookup(bearer(c))
	if !ok {
		return errBadToken()
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
	wt := p.watcher.add(c.Context().Conn(), cancel)
	x := &exchange{p: p, t: t, ctx: ctx, wt: wt, cancel: cancel, dropUsage: askedUsage, tok: tok, out: stats.Outcome{
		Provider: t.Provider.ID, Model: req.Model, Token: tok.ID, Stream: req.Stream, At: start,
	}}
	handedOff := false
	defer func() {
		if !handedOff {
			x.finish()
		}
	}()

	var (
		buf   [8]*pool.Key
		tried = buf[:0]
		last  *Error
		obs   = t.observer()
	)
	for attempt := 0; attempt < p.cfg.MaxRetries; attempt++ {
		k, err := t.Pool.Pick(tried)
		if err != nil {
			break
		}
		if attempt > 0 {
			obs.Retry()
		}
		tried = append(tried, k)
		sent := time.Now()
		resp, err := p.send(ctx, c, t, url, body, k.APIKey())
		obs.Upstream(time.Since(sent))
		if err != nil {
			if context.Cause(ctx) == errClientGone || c.Context().Err() != nil {
				// Nobody to answer. The attempt counts in the key's figures,
				// but the key's state is not to blame.
				x.out.Status = StatusClientClosed
				x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
				return nil
			}
			t.Pool.Mark(k, pool.Transient, time.Time{})
			x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
			last = transportError(err, p.cfg.UpstreamTimeout)
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 && !isStream(resp.Header.Get("Content-Type")) {
			// A whole answer is read before anything reaches the client, so
			// a broken one can still fail over.
			data, rerr := x.readAnswer(resp)
			switch {
			case rerr == nil:
				t.Pool.Mark(k, pool.Success, time.Time{})
				x.key = k
				x.respondWhole(c, resp, data)
				p.storeAnswer(c, ticket, resp.StatusCode, resp.Header.Get("Content-Type"), data)
				return nil
			case context.Cause(ctx) == errClientGone:
				x.out.Status = StatusClientClosed
				x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
				return nil
			case errors.Is(rerr, errTooLarge):
				// The content, not the key: another key would send the same.
				x.out.Key = k.APIKey()
				x.out.Status = fiber.StatusBadGateway
				return errBroken(rerr.Error())
			}
			t.Pool.Mark(k, pool.Transient, time.Time{})
			x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
			last = errBroken(rerr.Error())
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			t.Pool.Mark(k, pool.Success, time.Time{})
			x.key = k
			handedOff = x.respond(c, resp)
			return nil
		}
		v := classify(t.Provider, resp.StatusCode, resp.Header, nil, time.Now())
		if !v.retry {
			x.key = k
			handedOff = x.respond(c, resp) // the client's own error: passed on as sent
			return nil
		}
		errBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			v = classify(t.Provider, resp.StatusCode, resp.Header, errBody, time.Now())
		}
		t.Pool.Mark(k, v.event, v.until)
		x.out.FailedKeys = append(x.out.FailedKeys, k.APIKey())
		last = upstreamError(resp.StatusCode, resp.Header, errBody, k.APIKey())
	}
	if last == nil {
		last = errNoKeys()
	}
	x.out.Status = last.Status
	return last
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
