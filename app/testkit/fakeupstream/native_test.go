package fakeupstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// parseNDJSON splits an NDJSON body into decoded objects, failing the test
// on a line that is not JSON. It reads with bufio.Reader, not Scanner, so
// long lines are fine.
func parseNDJSON(t testing.TB, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	r := bufio.NewReader(bytes.NewReader(body))
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				t.Fatalf("line without a newline: %q", line)
			}
			var m map[string]any
			if jerr := json.Unmarshal(line, &m); jerr != nil {
				t.Fatalf("NDJSON line is not JSON: %q: %v", line, jerr)
			}
			out = append(out, m)
		}
		if errors.Is(err, io.EOF) {
			return out
		}
	}
}

// nativeText is where the text of a native answer is.
func nativeText(m map[string]any, chat bool) any {
	if chat {
		return dig(m, "message", "content")
	}
	return m["response"]
}

// checkDone checks the counts and timings of a final native object.
func checkDone(t *testing.T, m map[string]any, chat bool, prompt, chunks int64) {
	t.Helper()
	checks := map[string][2]any{
		"done":              {m["done"], true},
		"done_reason":       {m["done_reason"], "stop"},
		"prompt_eval_count": {m["prompt_eval_count"], float64(prompt)},
		"eval_count":        {m["eval_count"], float64(chunks)},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	for _, d := range []string{"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"} {
		if v, _ := m[d].(float64); v <= 0 {
			t.Errorf("%s = %v, want > 0", d, m[d])
		}
	}
	if _, ok := m["context"]; ok == chat {
		t.Errorf("context present = %v for chat = %v", ok, chat)
	}
	if chat && dig(m, "message", "role") != "assistant" {
		t.Errorf("final message %v", m["message"])
	}
}

func TestNativeAnswers(t *testing.T) {
	t.Parallel()
	const chunks = 4
	f := newTestFake(t, Options{Chunks: chunks})
	tests := []struct {
		name, path, body string
		stream           bool
	}{
		{"chat stream by default", "/api/chat", `{"model":"gpt-oss:120b","messages":[{"role":"user","content":"hi"}]}`, true},
		{"chat stream true", "/api/chat", `{"model":"m","messages":[],"stream":true}`, true},
		{"chat stream null", "/api/chat", `{"model":"m","stream":null}`, true},
		{"chat stream false", "/api/chat", `{"model":"m","messages":[],"stream":false}`, false},
		{"generate stream by default", "/api/generate", `{"model":"m","prompt":"hi"}`, true},
		{"generate stream false", "/api/generate", `{"model":"m","prompt":"hi","stream":false}`, false},
		{"escaped model", "/api/chat", `{"model":"a\"b\u00e9","stream":false}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k-" + tt.name
			chat := tt.path == "/api/chat"
			res := f.mustDo(t, http.MethodPost, tt.path, key, tt.body)
			wantType := map[bool]string{true: "application/x-ndjson", false: "application/json"}[tt.stream]
			if res.status != http.StatusOK || res.header.Get("Content-Type") != wantType || res.readErr != nil {
				t.Fatalf("status %d, type %q, err %v: %s", res.status, res.header.Get("Content-Type"), res.readErr, res.body)
			}
			var lines []map[string]any
			wantLines := 1
			if tt.stream {
				lines, wantLines = parseNDJSON(t, res.body), chunks+1
			} else {
				lines = append(lines, decode(t, res.body))
			}
			if len(lines) != wantLines {
				t.Fatalf("%d lines, want %d: %s", len(lines), wantLines, res.body)
			}
			var text strings.Builder
			wantModel := decode(t, []byte(tt.body))["model"]
			for i, m := range lines {
				s, _ := nativeText(m, chat).(string)
				text.WriteString(s)
				if m["model"] != wantModel || m["created_at"] == nil || (i < len(lines)-1) != (m["done"] == false) {
					t.Errorf("line %d: %v", i, m)
				}
			}
			if text.String() != Content(chunks) {
				t.Errorf("text %q, want %q", text.String(), Content(chunks))
			}
			p := PromptTokens(len(tt.body))
			checkDone(t, lines[len(lines)-1], chat, p, chunks)
			if c := f.Counts(key); c != (Counts{Requests: 1, OK: 1, PromptTokens: p, CompletionTokens: chunks}) {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

func TestNativeEmbed(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	tests := []struct {
		name, path, body string
		status, vectors  int // vectors < 0: the old single-embedding shape
	}{
		{"one string", "/api/embed", `{"model":"e","input":"hello"}`, 200, 1},
		{"array", "/api/embed", `{"model":"e","input":["a","b","c"]}`, 200, 3},
		{"empty string", "/api/embed", `{"model":"e","input":""}`, 200, 0},
		{"no input", "/api/embed", `{"model":"e"}`, 200, 0},
		{"input not text", "/api/embed", `{"model":"e","input":{"a":1}}`, 400, 0},
		{"old embeddings", "/api/embeddings", `{"model":"e","prompt":"hello"}`, 200, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k-" + tt.name
			res := f.mustDo(t, http.MethodPost, tt.path, key, tt.body)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			m := decode(t, res.body)
			if tt.status != http.StatusOK {
				checkNativeError(t, res, tt.status, "invalid input type")
				return
			}
			var want Counts
			if tt.vectors < 0 {
				want = Counts{Requests: 1, OK: 1}
				if v, _ := m["embedding"].([]any); len(v) == 0 || len(m) != 1 {
					t.Errorf("old shape: %s", res.body)
				}
			} else {
				p := PromptTokens(len(tt.body))
				want = Counts{Requests: 1, OK: 1, PromptTokens: p}
				embs, ok := m["embeddings"].([]any)
				if !ok || len(embs) != tt.vectors || m["model"] != "e" || m["prompt_eval_count"] != float64(p) ||
					m["total_duration"] == nil || m["load_duration"] == nil {
					t.Errorf("body %s", res.body)
				}
				for _, e := range embs {
					if v, _ := e.([]any); len(v) == 0 {
						t.Errorf("empty vector in %s", res.body)
					}
				}
			}
			if c := f.Counts(key); c != want {
				t.Errorf("counts %+v, want %+v", c, want)
			}
		})
	}
}
