package fakeupstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// dialect is one provider's flavour of the API: error shape, messages and
// stream habits. Error paths use encoding/json; they are not hot.
type dialect struct {
	name        string
	missingAuth string         // message of the 401 for a request without a key
	keepAlive   bool           // streams start with ": OPENROUTER PROCESSING"
	alwaysUsage bool           // streams always carry usage, not only on stream_options.include_usage
	ndjson      bool           // Ollama's native API: NDJSON streams, on unless "stream": false
	messages    map[int]string // usual message per status
	errorBody   func(status int, msg string, f *Fault) []byte
	badJSON     func(body []byte, err error) string // message of the 400 for a body that is no JSON object
}

// message is the provider's usual message for status.
func (d *dialect) message(status int) string {
	if m, ok := d.messages[status]; ok {
		return m
	}
	return strings.ToLower(http.StatusText(status))
}

// ollamaV1 is Ollama's OpenAI-compatible API under /v1.
func ollamaV1() *dialect {
	return &dialect{
		name:        "ollama",
		missingAuth: "unauthorized",
		messages: map[int]string{
			http.StatusTooManyRequests: "rate limit exceeded, please try again later",
		},
		errorBody: openAIErrorBody,
		badJSON:   openAIBadJSON,
	}
}

// ollamaNative is Ollama's own API under /api (but not /api/v1).
func ollamaNative() *dialect {
	return &dialect{
		name:        "ollama-native",
		missingAuth: "unauthorized",
		ndjson:      true,
		messages: map[int]string{
			http.StatusTooManyRequests: "rate limit exceeded",
		},
		errorBody: nativeErrorBody,
		badJSON:   nativeBadJSON,
	}
}

// openRouter is OpenRouter's API under /api/v1.
func openRouter() *dialect {
	return &dialect{
		name:        "openrouter",
		missingAuth: "No auth credentials found",
		keepAlive:   true,
		alwaysUsage: true,
		messages: map[int]string{
			http.StatusUnauthorized:        "User not found.",
			http.StatusPaymentRequired:     "Insufficient credits",
			http.StatusForbidden:           "Your input was flagged by moderation",
			http.StatusRequestTimeout:      "Request timed out",
			http.StatusTooManyRequests:     "Rate limit exceeded",
			http.StatusBadGateway:          "Provider returned error",
			http.StatusServiceUnavailable:  "No available providers",
			http.StatusInternalServerError: "Internal Server Error",
		},
		errorBody: openRouterErrorBody,
		badJSON:   openAIBadJSON,
	}
}

// openAIErrorBody is the error shape of Ollama's /v1 routes (and OpenAI's).
func openAIErrorBody(status int, msg string, _ *Fault) []byte {
	typ := "api_error"
	switch status {
	case http.StatusBadRequest:
		typ = "invalid_request_error"
	case http.StatusNotFound:
		typ = "not_found_error"
	}
	type body struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	b, _ := json.Marshal(map[string]body{"error": {Message: msg, Type: typ}})
	return b
}

// nativeErrorBody is the error shape of Ollama's native API:
// {"error":"<message>"}.
func nativeErrorBody(_ int, msg string, _ *Fault) []byte {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return b
}

// openAIBadJSON is the 400 message of the OpenAI-style routes.
func openAIBadJSON(_ []byte, err error) string { return "invalid JSON body: " + err.Error() }

// nativeBadJSON is the message Ollama's server gives for body: its JSON
// decoder's error ("invalid character …", "unexpected EOF"), or "missing
// request body" when there is none.
func nativeBadJSON(body []byte, _ error) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "missing request body"
	}
	var v struct{}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&v); err != nil {
		return err.Error()
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return err.Error() // trailing data, which Ollama's decoder would ignore
	}
	return "invalid request body"
}

// openRouterErrorBody is OpenRouter's error shape, with the metadata its
// 402, 403 and rate-limited 429 answers carry.
func openRouterErrorBody(status int, msg string, f *Fault) []byte {
	meta := map[string]any{}
	switch {
	case status == http.StatusPaymentRequired:
		meta["limit_source"] = "key"
	case status == http.StatusForbidden:
		meta["reasons"] = []string{"harassment"}
		meta["flagged_input"] = "…"
		meta["provider_name"] = "fake"
	case status == http.StatusTooManyRequests && f != nil && f.RateLimitReset != "":
		meta["headers"] = map[string]string{
			"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f.RateLimitReset,
		}
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": status, "message": msg, "metadata": meta}})
	return b
}

// writeError answers status with the dialect's error body.
func (x *exchange) writeError(status int, msg string) {
	x.out = outFailed
	b := x.d.errorBody(status, msg, x.fault)
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	x.w.WriteHeader(status)
	if _, err := x.w.Write(b); err != nil {
		x.out = outCanceled
	}
}

// readFailed answers a body that could not be read.
func (x *exchange) readFailed(err error) {
	if x.r.Context().Err() != nil {
		x.out = outCanceled
		return
	}
	if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
		x.writeError(http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	x.writeError(http.StatusBadRequest, "could not read request body")
}

// checkBody answers 400 and reports false when the parsed body is not
// usable for the route.
func (x *exchange) checkBody(needModel bool) bool {
	switch {
	case x.parseErr != nil:
		x.writeError(http.StatusBadRequest, x.d.badJSON(x.body, x.parseErr))
	case needModel && x.req.model == "":
		x.writeError(http.StatusBadRequest, "model is required")
	default:
		return true
	}
	return false
}
