package proxy

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestPeek(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		ok     bool
		model  string
		stream bool
	}{
		{`{"model":"gpt-oss:120b","stream":true,"messages":[]}`, true, "gpt-oss:120b", true},
		{`{"messages":[{"role":"user","content":"{\"model\":\"fake\"}"}],"model":"m"}`, true, "m", false},
		{`{"model":"m","stream":"true"}`, true, "m", false},
		{`{"model":7,"stream":false}`, true, "", false},
		{`{"nested":{"model":"inner","stream":true}}`, true, "", false},
		{`  {"model":"m"}  `, true, "m", false},
		{`[]`, false, "", false},
		{`"model"`, false, "", false},
		{`{"model":"m"`, false, "", false},
		{`{"model":"m"} {}`, false, "", false},
		{``, false, "", false},
		{"\xff\xfe", false, "", false},
	}
	for _, tt := range tests {
		r, ok := peek([]byte(tt.body))
		if ok != tt.ok || r.Model != tt.model || r.Stream != tt.stream {
			t.Errorf("peek(%q) = %+v, %v; want model %q stream %v ok %v", tt.body, r, ok, tt.model, tt.stream, tt.ok)
		}
	}
}

func TestPeekTemperature(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body    string
		sampled bool
	}{
		{`{"model":"m"}`, false},
		{`{"model":"m","temperature":0}`, false},
		{`{"model":"m","temperature":0.0}`, false},
		{`{"model":"m","temperature":null}`, false},
		{`{"model":"m","temperature":0.7}`, true},
		{`{"model":"m","temperature":1e-9}`, true},
		{`{"model":"m","temperature":"0"}`, true},
		{`{"model":"m","options":{"temperature":0}}`, false},
		{`{"model":"m","options":{"temperature":0.8}}`, true},
		{`{"model":"m","options":{"seed":1}}`, false},
		{`{"model":"m","temperature":0.5,"options":{"temperature":0}}`, true},
		{`{"model":"m","messages":[{"content":"{\"temperature\":1}"}]}`, false},
	}
	for _, tt := range tests {
		r, ok := peek([]byte(tt.body))
		if !ok || r.Sampled != tt.sampled {
			t.Errorf("peek(%q) = %+v, %v; want sampled %v", tt.body, r, ok, tt.sampled)
		}
	}
}

// FuzzPeek checks peek against encoding/json: it accepts exactly the
// bodies that are one JSON object, reads the same top-level model and
// stream, and never panics.
func FuzzPeek(f *testing.F) {
	for _, s := range []string{`{"model":"m","stream":true}`, `{"a":[1,{"model":"x"}],"model":"y"}`, `[]`, `{`, `{"model":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, ok := peek(body)
		var v map[string]json.RawMessage
		err := json.Unmarshal(body, &v)
		if err != nil || v == nil {
			if ok && err != nil && !utf8.Valid(body) {
				// encoding/json rejects invalid UTF-8 that gjson passes
				// through; the body still goes upstream unchanged.
				return
			}
			if ok {
				t.Fatalf("peek accepted non-object %q", body)
			}
			return
		}
		if !ok {
			t.Fatalf("peek rejected the object %q", body)
		}
		var model string
		if raw, has := v["model"]; has && json.Unmarshal(raw, &model) != nil {
			model = ""
		}
		var stream bool
		if raw, has := v["stream"]; has && json.Unmarshal(raw, &stream) != nil {
			stream = false
		}
		// encoding/json turns each invalid UTF-8 byte into U+FFFD; peek
		// keeps the bytes. Compare them the way encoding/json would read them.
		if string([]rune(r.Model)) != model || r.Stream != stream {
			t.Fatalf("peek(%q) = %+v; encoding/json reads model %q stream %v", body, r, model, stream)
		}
	})
}

func BenchmarkPeek(b *testing.B) {
	body := []byte(`{"model":"gpt-oss:120b","stream":true,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"` +
		string(make([]byte, 0)) + `Explain how a key pool gateway works, in detail, with examples of failover, rate limits and statistics aggregation across instances."}],"temperature":0.7,"max_tokens":512}`)
	b.ReportAllocs()
	for b.Loop() {
		peek(body)
	}
}
