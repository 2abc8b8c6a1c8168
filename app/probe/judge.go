package probe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/keypool/keypool/app/redact"
)

// judge reads an upstream status and body: 2xx valid; 401, 402, 403
// invalid; 429 valid but rate limited; anything else unknown.
func judge(status int, body []byte, apiKey string) Result {
	r := Result{Status: status}
	msg := message(status, body, apiKey)
	switch {
	case status >= 200 && status < 300:
		r.Verdict = Valid
	case status == http.StatusUnauthorized, status == http.StatusPaymentRequired, status == http.StatusForbidden:
		r.Verdict, r.Reason = Invalid, fmt.Sprintf("%d %s", status, msg)
	case status == http.StatusTooManyRequests:
		r.Verdict, r.RateLimited = Valid, true
		r.Reason = "rate limited (the key works): " + msg
	case status >= 500, status == http.StatusRequestTimeout:
		r.Verdict, r.Reason = Unknown, fmt.Sprintf("upstream error %d: %s", status, msg)
	default:
		// 400, 404, 422…: the probe itself was refused (for Ollama often an
		// unknown OLLAMA_PROBE_MODEL), which says nothing about the key.
		r.Verdict, r.Reason = Unknown, fmt.Sprintf("probe refused with %d: %s", status, msg)
	}
	return r
}

// message is the upstream's error message in any of the shapes in use
// ({"error":{"message"}}, {"error":"…"}, plain text), masked and bounded.
func message(status int, body []byte, apiKey string) string {
	var msg string
	switch e := gjson.ParseBytes(body).Get("error"); {
	case e.IsObject():
		msg = e.Get("message").String()
	case e.Type == gjson.String:
		msg = e.Str
	case !gjson.ValidBytes(body):
		msg = strings.TrimSpace(string(body))
	}
	msg = redact.In(msg, apiKey)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return msg
}

// readCredits reads the "data" of OpenRouter's GET /v1/key, or nil.
func readCredits(body []byte) *Credits {
	var out struct {
		Data *Credits `json:"data"`
	}
	if json.Unmarshal(body, &out) != nil {
		return nil
	}
	return out.Data
}
