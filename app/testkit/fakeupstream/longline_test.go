package fakeupstream

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestLongLine(t *testing.T) {
	t.Parallel()
	const chunks, long = 3, 70 << 10 // a first chunk longer than bufio.Scanner's 64 KiB
	f := newTestFake(t, Options{Chunks: chunks, LongLine: long})
	want := strings.Repeat("x", long) + "t1 t2 "
	tests := []struct {
		name, path, body string
		stream           bool
		text             func(t *testing.T, body []byte) string
	}{
		{"native stream", "/api/chat", `{"model":"m"}`, true, func(t *testing.T, body []byte) string {
			var s strings.Builder
			for _, m := range parseNDJSON(t, body) {
				s.WriteString(dig(m, "message", "content").(string))
			}
			return s.String()
		}},
		{"native whole", "/api/generate", `{"model":"m","stream":false}`, false, func(t *testing.T, body []byte) string {
			return decode(t, body)["response"].(string)
		}},
		{"ollama sse", "/v1/chat/completions", `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, true,
			func(t *testing.T, body []byte) string {
				var s strings.Builder
				for _, ev := range parseSSE(t, body).events {
					c, _ := dig(ev, "choices", 0, "delta", "content").(string)
					s.WriteString(c)
				}
				return s.String()
			}},
		{"openrouter whole", "/api/v1/completions", `{"model":"a/b","prompt":"x"}`, false, func(t *testing.T, body []byte) string {
			return dig(decode(t, body), "choices", 0, "text").(string)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k-" + tt.name
			res := f.mustDo(t, http.MethodPost, tt.path, key, tt.body)
			if res.status != http.StatusOK || res.readErr != nil {
				t.Fatalf("status %d, err %v", res.status, res.readErr)
			}
			if got := tt.text(t, res.body); got != want {
				t.Errorf("text of %d bytes, want %d", len(got), len(want))
			}
			if tt.stream {
				if longest := longestLine(t, res.body); longest <= 64<<10 {
					t.Errorf("longest line %d bytes, want > 64 KiB", longest)
				}
				sc := bufio.NewScanner(bytes.NewReader(res.body))
				for sc.Scan() {
				}
				if !errors.Is(sc.Err(), bufio.ErrTooLong) {
					t.Errorf("a default bufio.Scanner read the stream: %v", sc.Err())
				}
			}
			p := PromptTokens(len(tt.body))
			if c := f.Counts(key); c != (Counts{Requests: 1, OK: 1, PromptTokens: p, CompletionTokens: chunks}) {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

// longestLine returns the length of the longest line of body, read with
// bufio.Reader.
func longestLine(t *testing.T, body []byte) int {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(body))
	longest := 0
	for {
		line, err := r.ReadBytes('\n')
		longest = max(longest, len(line))
		if err != nil {
			return longest
		}
	}
}
