package proxy

import "github.com/tidwall/gjson"

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
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return request{}, false
	}
	var r request
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			if v.Type == gjson.String {
				r.Model = v.Str
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
