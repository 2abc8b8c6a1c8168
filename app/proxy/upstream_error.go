package proxy

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/keypool/keypool/app/redact"
)

// upstreamError turns the last failed upstream answer into the client's
// error: the upstream's status and message in OpenAI's shape, whatever
// shape the upstream used ({"error":{"message"}} from OpenAI-style APIs and
// OpenRouter, {"error":"…"} from Ollama's native API, or plain text).
func upstreamError(status int, h http.Header, body []byte, apiKey string) *Error {
	e := &Error{Status: status, Type: "upstream_error", Code: status, RetryAfter: h.Get("Retry-After")}
	switch r := gjson.ParseBytes(body).Get("error"); {
	case r.IsObject():
		e.Message = r.Get("message").String()
		if c := r.Get("code"); c.Exists() && c.Type != gjson.Null {
			e.Code = c.Value()
		}
		if t := r.Get("type").String(); t != "" {
			e.Type = t
		}
	case r.Type == gjson.String:
		e.Message = r.Str
	default:
		e.Message = strings.TrimSpace(string(body))
	}
	e.Message = redact.In(e.Message, apiKey) // some upstreams quote the key they refused
	if len(e.Message) > 1000 {
		e.Message = e.Message[:1000] + "…"
	}
	if e.Message == "" {
		e.Message = "upstream answered " + http.StatusText(status)
	}
	if status == http.StatusTooManyRequests && e.RetryAfter == "" {
		e.RetryAfter = "60"
	}
	return e
}
