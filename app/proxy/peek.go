package proxy

import (
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// request is what the proxy reads of a client's body: only the model and
// whether it asked for a stream. The body itself goes upstream unchanged.
type request struct {
	Model        string
	Stream       bool // "stream": true
	StreamSet    bool // "stream" is given at all
	IncludeUsage bool // stream_options.include_usage
}

// peek validates that body is one JSON object and reads model and stream.
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
		}
		return true
	})
	return r, true
}
