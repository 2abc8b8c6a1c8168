package proxy

import (
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// request is what the proxy reads of a client's body: the model, whether
// it asked for a stream, and whether it samples (for the response cache).
// The body itself goes upstream unchanged.
type request struct {
	Model        string
	Stream       bool // "stream": true
	StreamSet    bool // "stream" is given at all
	IncludeUsage bool // stream_options.include_usage
	// Sampled is a "temperature" (or Ollama's options.temperature) above 0,
	// or one that is not a number: answers may differ from call to call.
	Sampled bool
}

// peek validates that body is one JSON object and reads model, stream and
// temperature.
func peek(body []byte) (request, bool) {
	if !gjson.ValidBytes(body) {
		return request{}, false
	}
	// Read the body in place instead of copying it into a string (what
	// ParseBytes does): it is not changed while peek runs, and the only
	// value kept, the model, is cloned.
	root := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body)))
	if !root.IsObject() {
		return request{}, false
	}
	var r request
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			if v.Type == gjson.String {
				r.Model = strings.Clone(v.Str) // outlives the request's buffer (statistics)
			}
		case "stream":
			r.Stream, r.StreamSet = v.Type == gjson.True, true
		case "stream_options":
			r.IncludeUsage = v.Get("include_usage").Type == gjson.True
		case "temperature":
			r.Sampled = r.Sampled || sampled(v)
		case "options":
			r.Sampled = r.Sampled || sampled(v.Get("temperature"))
		}
		return true
	})
	return r, true
}

// sampled says whether a temperature lets answers vary: above 0, or not a
// number at all (absent and null are the upstream's default, taken as 0).
func sampled(v gjson.Result) bool {
	switch v.Type {
	case gjson.Null:
		return false
	case gjson.Number:
		return v.Num > 0
	}
	return true
}
