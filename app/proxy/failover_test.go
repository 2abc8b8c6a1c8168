package proxy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

const chatBody = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

// openAIError is the error shape every proxy error answer has.
type openAIError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	} `json:"error"`
}

func decodeError(t *testing.T, status int, body string) openAIError {
	t.Helper()
	var e openAIError
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("%d %s: not an OpenAI-shaped error (%v)", status, body, err)
	}
	return e
}

// A key or upstream error on the first attempt is retried on another key
// before anything reached the client; an error about the request itself
// is the client's, passed on as the upstream sent it, with no retry.
func TestFailover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		provider string
		first    fakeupstream.Fault // the first attempt's answer
		want     int                // the client's status
		failover bool               // a second key answered
	}{
		{"401: next key", "", fakeupstream.Fault{Status: 401}, 200, true},
		{"402: next key", "", fakeupstream.Fault{Status: 402}, 200, true},
		{"429: next key", "", fakeupstream.Fault{Status: 429, RetryAfter: "30"}, 200, true},
		{"429 quota: next key", "", fakeupstream.Fault{Status: 429, Message: "you've reached your weekly usage limit"}, 200, true},
		{"408: next key", "", fakeupstream.Fault{Status: 408}, 200, true},
		{"500: next key", "", fakeupstream.Fault{Status: 500}, 200, true},
		{"502: next key", "", fakeupstream.Fault{Status: 502}, 200, true},
		{"503: next key", "", fakeupstream.Fault{Status: 503}, 200, true},
		{"connection reset: next key", "", fakeupstream.Fault{ResetBeforeHeaders: true}, 200, true},
		{"broken JSON answer: next key", "", fakeupstream.Fault{MalformedJSON: true}, 200, true},
		{"openrouter 429: next key", provider.OpenRouter, fakeupstream.Fault{Status: 429}, 200, true},
		{"400: passed on", "", fakeupstream.Fault{Status: 400, Message: "messages: required"}, 400, false},
		{"404: passed on", "", fakeupstream.Fault{Status: 404, Message: "model not found"}, 404, false},
		{"422: passed on", "", fakeupstream.Fault{Status: 422}, 422, false},
		{"openrouter 403 moderation: passed on", provider.OpenRouter, fakeupstream.Fault{Status: 403}, 403, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{provider: tt.provider, keys: []string{"sk-key-0", "sk-key-1", "sk-key-2"},
				attempts: []fakeupstream.Fault{tt.first}})
			resp, body := e.chat(chatBody)
			out := e.rec.one(t)
			if resp.StatusCode != tt.want || out.Status != tt.want {
				t.Fatalf("client got %d %s, outcome %d; want %d", resp.StatusCode, body, out.Status, tt.want)
			}
			for _, k := range e.keys {
				if n := e.fake.Counts(k).Requests; n > 1 {
					t.Errorf("key %s tried %d times", k, n)
				}
			}
			wantAttempts := int64(1)
			if tt.failover {
				wantAttempts = 2
			}
			if n := e.attemptsTotal(); n != wantAttempts {
				t.Errorf("%d upstream attempts, want %d", n, wantAttempts)
			}
			if !tt.failover {
				// The upstream's own body: the fake's error shapes carry
				// fields the proxy's errors never have.
				if out.Key == "" || len(out.FailedKeys) != 0 || out.Success {
					t.Errorf("outcome %+v, want the one key's answer, no failed keys", out)
				}
				if !strings.Contains(body, `"param":null`) && !strings.Contains(body, `"metadata"`) {
					t.Errorf("body %s is not the upstream's as sent", body)
				}
				return
			}
			if !out.Success || len(out.FailedKeys) != 1 || out.Key == "" || out.Key == out.FailedKeys[0] {
				t.Errorf("outcome key %q, failed %v, success %v: want one failed key and another that answered",
					out.Key, out.FailedKeys, out.Success)
			}
			if n := e.fake.Counts(out.Key).OK; n != 1 {
				t.Errorf("the answering key has %d OK answers upstream", n)
			}
		})
	}
}

// A request tries each key at most once, and no more than MAX_RETRIES of
// them; when all fail, the client gets the last upstream error.
func TestFailoverBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		keys       int
		maxRetries int
		want       int // upstream attempts
	}{
		{"fewer keys than retries: each key once", 2, 5, 2},
		{"more keys than retries: MAX_RETRIES keys", 5, 3, 3},
		{"default MAX_RETRIES is 3", 6, 0, 3},
		{"one key: one attempt", 1, 3, 1},
		{"MAX_RETRIES 1: no failover", 4, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys := make([]string, tt.keys)
			for i := range keys {
				keys[i] = "sk-key-" + string(rune('a'+i))
			}
			e := newTestEnv(t, envOptions{keys: keys, cfg: Config{MaxRetries: tt.maxRetries}})
			e.fake.SetOutage(fakeupstream.Outage{Status: 500, Message: "the upstream is down"})
			resp, body := e.chat(chatBody)
			out := e.rec.one(t)
			if resp.StatusCode != 500 || out.Status != 500 || out.Success {
				t.Fatalf("client got %d %s, outcome %+v; want the upstream's 500", resp.StatusCode, body, out)
			}
			if got := decodeError(t, resp.StatusCode, body); got.Error.Message != "the upstream is down" {
				t.Errorf("message %q, want the upstream's", got.Error.Message)
			}
			if n := e.attemptsTotal(); n != int64(tt.want) {
				t.Errorf("%d upstream attempts, want %d", n, tt.want)
			}
			for _, k := range keys {
				if n := e.fake.Counts(k).Requests; n > 1 {
					t.Errorf("key %s tried %d times in one request", k, n)
				}
			}
			failed := slices.Clone(out.FailedKeys)
			slices.Sort(failed)
			if len(failed) != tt.want || len(slices.Compact(failed)) != tt.want || out.Key != "" {
				t.Errorf("outcome failed keys %v, key %q: want %d distinct failed keys and none answering",
					out.FailedKeys, out.Key, tt.want)
			}
		})
	}
}

// When every attempt fails, the client gets the last one's error in
// OpenAI's shape, whatever shape the upstream used.
func TestLastUpstreamErrorReachesClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		provider   string
		attempts   []fakeupstream.Fault
		status     int
		message    string // part of the client's message
		typ        string
		code       any
		retryAfter string
	}{
		{"ollama 500 then 503", "", []fakeupstream.Fault{{Status: 500, Message: "first failure"}, {Status: 503, Message: "second failure"}},
			503, "second failure", "api_error", float64(503), ""},
		{"503 then 401", "", []fakeupstream.Fault{{Status: 503}, {Status: 401, Message: "invalid api key"}},
			401, "invalid api key", "api_error", float64(401), ""},
		{"500 then 429 with Retry-After", "", []fakeupstream.Fault{{Status: 500}, {Status: 429, RetryAfter: "17"}},
			429, "rate limit exceeded", "api_error", float64(429), "17"},
		{"401 then a connection reset", "", []fakeupstream.Fault{{Status: 401}, {ResetBeforeHeaders: true}},
			502, "the upstream request failed", "upstream_error", "upstream_unreachable", ""},
		{"openrouter 502 then 429: Retry-After defaults to 60", provider.OpenRouter,
			[]fakeupstream.Fault{{Status: 502}, {Status: 429, Message: "Rate limit exceeded: limit_rpm"}},
			429, "Rate limit exceeded: limit_rpm", "upstream_error", float64(429), "60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{provider: tt.provider, keys: []string{"sk-key-0", "sk-key-1"},
				cfg: Config{MaxRetries: 5}, attempts: tt.attempts})
			resp, body := e.chat(chatBody)
			if resp.StatusCode != tt.status {
				t.Fatalf("client got %d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			got := decodeError(t, resp.StatusCode, body)
			if !strings.Contains(got.Error.Message, tt.message) || got.Error.Type != tt.typ || got.Error.Code != tt.code {
				t.Errorf("error %+v, want message with %q, type %q, code %v", got.Error, tt.message, tt.typ, tt.code)
			}
			if ra := resp.Header.Get("Retry-After"); ra != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", ra, tt.retryAfter)
			}
			if out := e.rec.one(t); out.Status != tt.status || len(out.FailedKeys) != 2 {
				t.Errorf("outcome status %d, failed keys %v; want %d and both keys", out.Status, out.FailedKeys, tt.status)
			}
		})
	}
}
