package fakeupstream

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// checkNativeError checks Ollama's error shape, {"error":"<message>"}
// and nothing else, with the wanted status and message.
func checkNativeError(t *testing.T, res result, status int, msg string) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, res.body)
	}
	if res.status != status || len(body) != 1 || body["error"] != msg ||
		res.header.Get("Content-Type") != "application/json" {
		t.Errorf("got %d %s, want %d {\"error\":%q}", res.status, res.body, status, msg)
	}
}

func TestNativeErrors(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	quota := "you've reached your hourly usage limit, please upgrade to continue"
	chat := `{"model":"m","messages":[]}`
	tests := []struct {
		name, method, path, key, body string
		fault                         *Fault
		status                        int
		msg, retryAfter               string
	}{
		{"no key", "POST", "/api/chat", "", chat, nil, 401, "unauthorized", ""},
		{"401", "POST", "/api/chat", "k", chat, &Fault{Status: 401}, 401, "unauthorized", ""},
		{"402", "POST", "/api/generate", "k", chat, &Fault{Status: 402}, 402, "payment required", ""},
		{"403", "POST", "/api/chat", "k", chat, &Fault{Status: 403}, 403, "forbidden", ""},
		{"429 plain", "POST", "/api/chat", "k", chat, &Fault{Status: 429, RetryAfter: "7"}, 429, "rate limit exceeded", "7"},
		{"429 quota", "POST", "/api/chat", "k", chat, &Fault{Status: 429, Message: quota}, 429, quota, ""},
		{"500", "POST", "/api/embed", "k", chat, &Fault{Status: 500}, 500, "internal server error", ""},
		{"503 on tags", "GET", "/api/tags", "k", "", &Fault{Status: 503}, 503, "service unavailable", ""},
		{"502 on show", "POST", "/api/show", "k", chat, &Fault{Status: 502, Message: "bad gateway!"}, 502, "bad gateway!", ""},
		{"bad JSON", "POST", "/api/chat", "k", `not json`, nil, 400, "invalid character 'o' in literal null (expecting 'u')", ""},
		{"truncated JSON", "POST", "/api/generate", "k", `{"model":`, nil, 400, "unexpected EOF", ""},
		{"no body", "POST", "/api/chat", "k", "", nil, 400, "missing request body", ""},
		{"not an object", "POST", "/api/embed", "k", `[1]`, nil, 400,
			"json: cannot unmarshal array into Go value of type struct {}", ""},
		{"missing model", "POST", "/api/chat", "k", `{"messages":[]}`, nil, 400, "model is required", ""},
		{"show without model", "POST", "/api/show", "k", `{}`, nil, 400, "model is required", ""},
		{"unknown path", "GET", "/api/nope", "k", "", nil, 404, "not found", ""},
		{"wrong method", "GET", "/api/chat", "k", "", nil, 405, "method not allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := tt.key
			if key != "" {
				key = "k-" + tt.name
			}
			if tt.fault != nil {
				f.SetFault(key, *tt.fault)
			}
			res := f.mustDo(t, tt.method, tt.path, key, tt.body)
			checkNativeError(t, res, tt.status, tt.msg)
			if got := res.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if key != "" {
				if c := f.Counts(key); c != (Counts{Requests: 1, Failed: 1}) {
					t.Errorf("counts %+v", c)
				}
			}
		})
	}
}

func TestNativeStreamFaults(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Chunks: 6})
	tests := []struct {
		name, path, body string
		fault            Fault
		check            func(t *testing.T, res result)
	}{
		{"cut stream", "/api/chat", `{"model":"m"}`, Fault{CutAfterChunks: 2}, func(t *testing.T, res result) {
			lines := parseNDJSON(t, res.body)
			if res.status != 200 || res.readErr == nil || len(lines) != 2 || lines[1]["done"] != false {
				t.Errorf("want 200, a read error and 2 content lines; got %d, %v, %s", res.status, res.readErr, res.body)
			}
		}},
		{"mid-stream error", "/api/generate", `{"model":"m"}`, Fault{MidStreamError: true}, func(t *testing.T, res result) {
			lines := parseNDJSON(t, res.body)
			if res.status != 200 || res.readErr != nil || len(lines) != 2 || lines[0]["response"] != "t0 " ||
				lines[1]["error"] != "an error was encountered while running the model" || len(lines[1]) != 1 {
				t.Errorf("got %d, %v, %s", res.status, res.readErr, res.body)
			}
		}},
		{"mid-stream error message", "/api/chat", `{"model":"m"}`, Fault{MidStreamError: true, Message: "boom"},
			func(t *testing.T, res result) {
				if lines := parseNDJSON(t, res.body); len(lines) != 2 || lines[1]["error"] != "boom" {
					t.Errorf("got %s", res.body)
				}
			}},
		{"malformed stream", "/api/chat", `{"model":"m"}`, Fault{MalformedJSON: true}, func(t *testing.T, res result) {
			line, _, _ := strings.Cut(string(res.body), "\n")
			if res.status != 200 || res.header.Get("Content-Type") != "application/x-ndjson" ||
				!strings.HasPrefix(line, "{") || json.Valid([]byte(line)) {
				t.Errorf("want a broken NDJSON line; got %d, %q", res.status, res.body)
			}
		}},
		{"malformed whole", "/api/chat", `{"model":"m","stream":false}`, Fault{MalformedJSON: true},
			func(t *testing.T, res result) {
				if res.status != 200 || res.header.Get("Content-Type") != "application/json" || json.Valid(res.body) {
					t.Errorf("want 200 and invalid JSON; got %d, %q", res.status, res.body)
				}
			}},
		{"cut whole", "/api/chat", `{"model":"m","stream":false}`, Fault{CutAfterChunks: 1},
			func(t *testing.T, res result) {
				if res.readErr == nil || json.Valid(res.body) {
					t.Errorf("want a truncated body; got %v, %q", res.readErr, res.body)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k-" + tt.name
			f.SetFault(key, tt.fault)
			res, err := f.do(context.Background(), http.MethodPost, tt.path, key, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, res)
			eventually(t, time.Second, "request counted as failed", func() bool {
				return f.Counts(key) == Counts{Requests: 1, Failed: 1}
			})
		})
	}
}

func TestNativeCanceled(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Chunks: 1000, ChunkDelay: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/api/chat", strings.NewReader(`{"model":"m"}`))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	for range 2 {
		if line, err := br.ReadBytes('\n'); err != nil || !json.Valid(line) {
			t.Fatalf("line %q: %v", line, err)
		}
	}
	cancel()
	resp.Body.Close()
	eventually(t, time.Second, "upstream request canceled", func() bool {
		return f.Counts("k") == Counts{Requests: 1, Canceled: 1}
	})
}
