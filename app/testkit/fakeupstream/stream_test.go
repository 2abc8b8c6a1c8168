package fakeupstream

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStreams(t *testing.T) {
	t.Parallel()
	const chunks = 4
	f := newTestFake(t, Options{Chunks: chunks})
	tests := []struct {
		name, path, body string
		comment, usage   bool
	}{
		{"ollama chat", "/v1/chat/completions", `{"model":"m","stream":true}`, false, false},
		{"ollama chat include_usage", "/v1/chat/completions",
			`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, false, true},
		{"ollama chat include_usage false", "/v1/chat/completions",
			`{"model":"m","stream":true,"stream_options":{"include_usage":false}}`, false, false},
		{"ollama completion include_usage", "/v1/completions",
			`{"model":"m","prompt":"x","stream":true,"stream_options":{"include_usage":true}}`, false, true},
		{"openrouter chat", "/api/v1/chat/completions", `{"model":"a/b","stream":true}`, true, true},
		{"openrouter chat include_usage false", "/api/v1/chat/completions",
			`{"model":"a/b","stream":true,"stream_options":{"include_usage":false}}`, true, true},
		{"openrouter completion", "/api/v1/completions", `{"model":"a/b","prompt":"x","stream":true}`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k-" + tt.name
			res := f.mustDo(t, http.MethodPost, tt.path, key, tt.body)
			if res.status != http.StatusOK || res.header.Get("Content-Type") != "text/event-stream" || res.readErr != nil {
				t.Fatalf("status %d, type %q, err %v", res.status, res.header.Get("Content-Type"), res.readErr)
			}
			if tt.comment != strings.HasPrefix(string(res.body), ": OPENROUTER PROCESSING\n\n") {
				t.Errorf("keep-alive comment first = %v, want %v", !tt.comment, tt.comment)
			}
			s := parseSSE(t, res.body)
			if !s.done {
				t.Fatal("no [DONE]")
			}
			checkStreamEvents(t, s.events, strings.HasSuffix(tt.path, "chat/completions"), chunks, tt.usage)
			c := f.Counts(key)
			wantPrompt := int64(0)
			if tt.usage {
				wantPrompt = PromptTokens(len(tt.body))
			}
			if c.OK != 1 || c.PromptTokens != wantPrompt {
				t.Errorf("counts = %+v, want OK 1 and %d prompt tokens", c, wantPrompt)
			}
		})
	}
}

// checkStreamEvents checks chunks content events, a finish event and,
// when usage is wanted, a final usage event with empty choices.
func checkStreamEvents(t *testing.T, events []map[string]any, chat bool, chunks int, usage bool) {
	t.Helper()
	want := chunks + 1
	if usage {
		want++
	}
	if len(events) != want {
		t.Fatalf("%d events, want %d", len(events), want)
	}
	object, textPath := "text_completion", []any{"choices", 0, "text"}
	if chat {
		object, textPath = "chat.completion.chunk", []any{"choices", 0, "delta", "content"}
	}
	var text strings.Builder
	for i, ev := range events {
		if ev["object"] != object || ev["id"] != events[0]["id"] || ev["model"] == nil {
			t.Errorf("event %d: object %v id %v model %v", i, ev["object"], ev["id"], ev["model"])
		}
		_, hasUsage := ev["usage"]
		switch {
		case i < chunks:
			s, _ := dig(ev, textPath...).(string)
			text.WriteString(s)
			if dig(ev, "choices", 0, "finish_reason") != nil || hasUsage {
				t.Errorf("content event %d: %v", i, ev)
			}
		case i == chunks:
			if dig(ev, "choices", 0, "finish_reason") != "stop" || hasUsage {
				t.Errorf("finish event: %v", ev)
			}
		default:
			if len(ev["choices"].([]any)) != 0 || dig(ev, "usage", "completion_tokens") != float64(chunks) {
				t.Errorf("usage event: %v", ev)
			}
		}
	}
	if text.String() != Content(chunks) {
		t.Errorf("text %q, want %q", text.String(), Content(chunks))
	}
	if chat && dig(events[0], "choices", 0, "delta", "role") != "assistant" {
		t.Errorf("first delta has no assistant role: %v", events[0])
	}
}

// With StampEvents every SSE content chunk starts with ": sent <ns>", a
// time between the request and the end of the answer; the events are the
// same as without it. NDJSON streams carry no stamps (no comments there).
func TestStampEvents(t *testing.T) {
	t.Parallel()
	const chunks = 3
	f := newTestFake(t, Options{Chunks: chunks, StampEvents: true})
	before := time.Now()
	res := f.mustDo(t, http.MethodPost, "/v1/chat/completions", "k-stamp", `{"model":"m","stream":true}`)
	after := time.Now()
	var stamps []time.Time
	for _, line := range strings.SplitAfter(string(res.body), "\n") {
		if strings.HasPrefix(line, ": ") {
			at, ok := ParseStamp([]byte(line))
			if !ok {
				t.Fatalf("comment line %q is not a stamp", line)
			}
			stamps = append(stamps, at)
		}
	}
	if len(stamps) != chunks {
		t.Fatalf("%d stamps, want one per content chunk (%d)", len(stamps), chunks)
	}
	for i, at := range stamps {
		if at.Before(before) || at.After(after) || (i > 0 && at.Before(stamps[i-1])) {
			t.Errorf("stamp %d at %v, outside the request (%v to %v) or before the previous one", i, at, before, after)
		}
	}
	s := parseSSE(t, res.body)
	if !s.done {
		t.Fatal("no [DONE]")
	}
	checkStreamEvents(t, s.events, true, chunks, false)

	native := f.mustDo(t, http.MethodPost, "/api/chat", "k-stamp", `{"model":"m"}`)
	if strings.Contains(string(native.body), StampPrefix) {
		t.Errorf("NDJSON stream carries a stamp: %q", native.body)
	}
	if _, ok := ParseStamp([]byte(": sent x\n")); ok {
		t.Error("ParseStamp accepted a stamp without a number")
	}
}
