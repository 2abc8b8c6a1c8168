package fakeupstream

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	chatBody   = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	streamBody = `{"model":"m","stream":true}`
)

func TestStatusFaults(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	quota := "you've reached your hourly usage limit, please upgrade to continue"
	tests := []struct {
		name, path  string
		fault       Fault
		wantMessage string
		wantMeta    map[string]any
		wantHeader  map[string]string
	}{
		{"ollama 401", "/v1/chat/completions", Fault{Status: 401}, "unauthorized", nil, nil},
		{"ollama 403", "/v1/chat/completions", Fault{Status: 403}, "forbidden", nil, nil},
		{"ollama quota 429", "/v1/chat/completions", Fault{Status: 429, Message: quota}, quota, nil,
			map[string]string{"Retry-After": ""}},
		{"ollama plain 429", "/v1/chat/completions", Fault{Status: 429, RetryAfter: "7"},
			"rate limit exceeded, please try again later", nil, map[string]string{"Retry-After": "7"}},
		{"ollama 500", "/v1/completions", Fault{Status: 500}, "internal server error", nil, nil},
		{"ollama 503 on models", "/v1/models", Fault{Status: 503}, "service unavailable", nil, nil},
		{"openrouter 401", "/api/v1/key", Fault{Status: 401}, "User not found.", nil, nil},
		{"openrouter 402", "/api/v1/chat/completions", Fault{Status: 402}, "Insufficient credits",
			map[string]any{"limit_source": "key"}, nil},
		{"openrouter 403", "/api/v1/chat/completions", Fault{Status: 403}, "Your input was flagged by moderation",
			map[string]any{"provider_name": "fake"}, nil},
		{"openrouter 408", "/api/v1/chat/completions", Fault{Status: 408}, "Request timed out", nil, nil},
		{"openrouter 429", "/api/v1/chat/completions", Fault{Status: 429, RateLimitReset: "1741305600000"},
			"Rate limit exceeded", nil, map[string]string{"X-RateLimit-Reset": "1741305600000", "X-RateLimit-Remaining": "0"}},
		{"openrouter 502", "/api/v1/embeddings", Fault{Status: 502, Message: "upstream down"}, "upstream down", nil, nil},
		{"openrouter 504", "/api/v1/chat/completions", Fault{Status: 504}, "gateway timeout", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k-" + tt.name
			f.SetFault(key, tt.fault)
			method, body := http.MethodPost, streamBody
			if !strings.Contains(tt.path, "/completions") && !strings.Contains(tt.path, "embeddings") {
				method, body = http.MethodGet, ""
			}
			res := f.mustDo(t, method, tt.path, key, body)
			if res.status != tt.fault.Status {
				t.Fatalf("status %d, want %d", res.status, tt.fault.Status)
			}
			e := checkErrorShape(t, tt.path, tt.fault.Status, res.body)
			if e["message"] != tt.wantMessage {
				t.Errorf("message %q, want %q", e["message"], tt.wantMessage)
			}
			for k, v := range tt.wantMeta {
				if got := dig(e, "metadata", k); got != v {
					t.Errorf("metadata.%s = %v, want %v", k, got, v)
				}
			}
			for k, v := range tt.wantHeader {
				if got := res.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if c := f.Counts(key); c.Requests != 1 || c.Failed != 1 || c.OK != 0 {
				t.Errorf("counts %+v", c)
			}
		})
	}
}

func TestConnectionFaults(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Chunks: 6})
	tests := []struct {
		name, path, body string
		fault            Fault
		check            func(t *testing.T, res result, err error)
	}{
		{"reset before headers", "/v1/chat/completions", chatBody, Fault{ResetBeforeHeaders: true},
			func(t *testing.T, _ result, err error) {
				if err == nil {
					t.Error("want a client error")
				}
			}},
		{"cut stream", "/api/v1/chat/completions", streamBody, Fault{CutAfterChunks: 2},
			func(t *testing.T, res result, err error) {
				if err != nil || res.status != 200 || res.readErr == nil {
					t.Fatalf("want 200 and a read error; got %d, %v, %v", res.status, err, res.readErr)
				}
				if s := parseSSE(t, res.body); s.done || len(s.events) != 2 {
					t.Errorf("done %v after %d events, want no [DONE] after 2", s.done, len(s.events))
				}
			}},
		{"cut JSON", "/v1/chat/completions", chatBody, Fault{CutAfterChunks: 1},
			func(t *testing.T, res result, err error) {
				if err != nil || res.readErr == nil || json.Valid(res.body) {
					t.Errorf("want a truncated body; got %v, %v, %q", err, res.readErr, res.body)
				}
			}},
		{"mid-stream error", "/api/v1/chat/completions", streamBody, Fault{MidStreamError: true, Message: "boom"},
			func(t *testing.T, res result, err error) {
				if err != nil || res.status != 200 || res.readErr != nil {
					t.Fatalf("want a complete 200; got %d, %v, %v", res.status, err, res.readErr)
				}
				s := parseSSE(t, res.body)
				last := s.events[len(s.events)-1]
				if !s.done || len(s.events) != 2 || dig(last, "error", "message") != "boom" ||
					dig(last, "error", "code") != float64(502) || dig(last, "choices", 0, "finish_reason") != "error" {
					t.Errorf("events %v, done %v", s.events, s.done)
				}
			}},
		{"malformed JSON", "/v1/chat/completions", chatBody, Fault{MalformedJSON: true},
			func(t *testing.T, res result, err error) {
				if err != nil || res.status != 200 || json.Valid(res.body) {
					t.Errorf("want 200 and invalid JSON; got %d, %v, %q", res.status, err, res.body)
				}
			}},
		{"malformed stream", "/v1/chat/completions", streamBody, Fault{MalformedJSON: true},
			func(t *testing.T, res result, err error) {
				if err != nil || res.status != 200 || !strings.HasPrefix(string(res.body), "data: {") ||
					json.Valid(res.body[len("data: "):strings.Index(string(res.body), "\n")]) {
					t.Errorf("want a malformed data line; got %d, %v, %q", res.status, err, res.body)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k-" + tt.name
			f.SetFault(key, tt.fault)
			res, err := f.do(context.Background(), http.MethodPost, tt.path, key, tt.body)
			tt.check(t, res, err)
			eventually(t, time.Second, "request counted as failed", func() bool {
				c := f.Counts(key)
				return c.Failed == 1 && c.InFlight == 0 && c.OK == 0
			})
		})
	}
}

func TestFirstByteDelay(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Latency: 20 * time.Millisecond})
	f.SetFault("slow", Fault{FirstByteDelay: 150 * time.Millisecond})
	tests := []struct {
		key      string
		min, max time.Duration
	}{
		{"slow", 170 * time.Millisecond, 5 * time.Second},
		{"fast", 20 * time.Millisecond, 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := f.mustDo(t, http.MethodPost, "/v1/chat/completions", tt.key, chatBody)
			if d := time.Since(start); res.status != 200 || d < tt.min || d > tt.max {
				t.Errorf("status %d after %v, want 200 within [%v, %v]", res.status, d, tt.min, tt.max)
			}
		})
	}
}

func TestFaultTimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault Fault
		want  []int // statuses of consecutive requests
	}{
		{"once", Fault{Status: 429, Times: 1}, []int{429, 200, 200}},
		{"twice", Fault{Status: 503, Times: 2}, []int{503, 503, 200}},
		{"until cleared", Fault{Status: 401}, []int{401, 401, 401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t, Options{})
			f.SetFault("k", tt.fault)
			for i, want := range tt.want {
				if res := f.mustDo(t, http.MethodPost, "/v1/chat/completions", "k", chatBody); res.status != want {
					t.Errorf("request %d: status %d, want %d", i, res.status, want)
				}
			}
			if res := f.mustDo(t, http.MethodPost, "/v1/chat/completions", "other", chatBody); res.status != 200 {
				t.Errorf("another key got %d", res.status)
			}
			f.ClearFaults()
			if res := f.mustDo(t, http.MethodPost, "/v1/chat/completions", "k", chatBody); res.status != 200 {
				t.Errorf("after ClearFaults: %d", res.status)
			}
		})
	}
}
