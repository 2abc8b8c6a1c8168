package proxy

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientHeaders are the client headers that go upstream; everything else,
// the client's Authorization above all, stays here.
var clientHeaders = [...]string{
	"Content-Type", "Content-Encoding", "Accept", "Accept-Language",
	"User-Agent", "Referer", "HTTP-Referer", "X-Title",
}

// hopHeaders are connection-level headers never copied between hops
// (RFC 9110 §7.6.1), plus the framing fasthttp sets itself.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true, "Date": true, "Server": true, "Set-Cookie": true,
}

// setUpstreamHeaders writes the upstream request's headers.
func setUpstreamHeaders(req *http.Request, c *fiber.Ctx, t *Target, apiKey string) {
	h := req.Header
	for _, name := range clientHeaders {
		if v := c.Request().Header.Peek(name); len(v) > 0 {
			h.Set(name, string(v))
		}
	}
	if h.Get("Content-Type") == "" && req.Method == http.MethodPost {
		h.Set("Content-Type", "application/json")
	}
	for name, v := range t.Provider.Headers {
		if h.Get(name) == "" && v != "" {
			h.Set(name, v)
		}
	}
	h["Authorization"] = []string{"Bearer " + apiKey}
}

// copyResponseHeaders copies the upstream answer's end-to-end headers.
func copyResponseHeaders(c *fiber.Ctx, h http.Header) {
	for name, vs := range h {
		if hopHeaders[name] {
			continue
		}
		if strings.HasPrefix(name, "X-Ratelimit-") && len(c.Response().Header.Peek(name)) > 0 {
			continue // Keypool's own limit, set before: not the upstream key's
		}
		if name == headerXCache && len(c.Response().Header.Peek(name)) > 0 {
			continue // Keypool's response cache, set before
		}
		for _, v := range vs {
			c.Response().Header.Add(name, v)
		}
	}
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(c *fiber.Ctx) string {
	auth := c.Request().Header.Peek(fiber.HeaderAuthorization)
	if len(auth) > 7 && bytes.EqualFold(auth[:7], []byte("bearer ")) {
		return string(bytes.TrimSpace(auth[7:]))
	}
	return ""
}
