package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// One bad key and one good key: every request must succeed through the
// good key, and the bad key must end in the state DESIGN.md prescribes.
func TestFailoverToNextKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		provider  string
		fault     fakeupstream.Fault
		wantState string // "failed", "cooling", "resting"
	}{
		{"401", "ollama", fakeupstream.Fault{Status: 401}, "failed"},
		{"402", "openrouter", fakeupstream.Fault{Status: 402}, "failed"},
		{"403 ollama", "ollama", fakeupstream.Fault{Status: 403}, "failed"},
		{"408 openrouter", "openrouter", fakeupstream.Fault{Status: 408}, "resting"},
		{"429 retry-after", "ollama", fakeupstream.Fault{Status: 429, RetryAfter: "30"}, "cooling"},
		{"429 no retry-after", "openrouter", fakeupstream.Fault{Status: 429}, "cooling"},
		{"429 hourly quota", "ollama", fakeupstream.Fault{Status: 429, Message: "you've reached your hourly usage limit, please upgrade"}, "failed"},
		{"429 weekly quota", "ollama", fakeupstream.Fault{Status: 429, Message: "you've reached your weekly usage limit"}, "failed"},
		{"500", "ollama", fakeupstream.Fault{Status: 500}, "resting"},
		{"502", "openrouter", fakeupstream.Fault{Status: 502}, "resting"},
		{"503", "ollama", fakeupstream.Fault{Status: 503}, "resting"},
		{"connection reset", "ollama", fakeupstream.Fault{ResetBeforeHeaders: true}, "resting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, "sqlite", map[string]string{"KEY_FAILURE_THRESHOLD": "3"})
			bad, good := "sk-bad-"+strings.ReplaceAll(tt.name, " ", "-")+"-0123456789", "sk-good-0123456789abcdef"
			e.importKeys(tt.provider, bad, good)
			token := e.createToken(tt.provider)
			e.fake.SetFault(bad, tt.fault)
			// Round robin starts on either key; send until the bad one was tried.
			for i := 0; i < 4 && e.fake.Counts(bad).Requests == 0; i++ {
				status, body, _ := e.do("POST", chatPath(tt.provider), token, chatBody(i%2 == 1))
				if status != http.StatusOK {
					t.Fatalf("request %d: %d %s", i, status, body)
				}
			}
			if e.fake.Counts(bad).Requests != 1 {
				t.Fatalf("bad key tried %d times, want 1", e.fake.Counts(bad).Requests)
			}
			if c := e.fake.Counts(good); c.OK == 0 || c.Failed != 0 {
				t.Fatalf("good key counts %+v", c)
			}
			h := e.health().Providers[tt.provider]
			switch tt.wantState {
			case "failed":
				if h.Failed != 1 || h.Available != 1 {
					t.Errorf("want the bad key failed: %+v", h)
				}
			case "cooling":
				if h.CoolingDown != 1 || h.Active != 2 || h.Available != 1 {
					t.Errorf("want the bad key cooling down, still active: %+v", h)
				}
			case "resting": // its own 5xx (the good key answered): seconds of rest, never failed
				if h.Failed != 0 || h.Active != 2 || h.CoolingDown != 1 || h.Available != 1 {
					t.Errorf("want the bad key resting briefly, still active: %+v", h)
				}
			}
		})
	}
}

// Client errors come back unchanged, with no retry on another key.
func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		provider string
		status   int
	}{
		{"ollama", 400}, {"ollama", 404}, {"ollama", 413}, {"ollama", 422},
		{"openrouter", 400}, {"openrouter", 403}, // OpenRouter 403: moderation, about the content
	}
	e := newTestEnv(t, "sqlite", nil)
	e.importKeys("ollama", "sk-o1-0123456789abcdef", "sk-o2-0123456789abcdef")
	e.importKeys("openrouter", "sk-r1-0123456789abcdef", "sk-r2-0123456789abcdef")
	tokens := map[string]string{"ollama": e.createToken("ollama"), "openrouter": e.createToken("openrouter")}
	for _, tt := range tests {
		e.fake.Reset()
		for _, k := range []string{"sk-o1-0123456789abcdef", "sk-o2-0123456789abcdef", "sk-r1-0123456789abcdef", "sk-r2-0123456789abcdef"} {
			e.fake.SetFault(k, fakeupstream.Fault{Status: tt.status, Message: "upstream says no"})
		}
		status, body, _ := e.do("POST", chatPath(tt.provider), tokens[tt.provider], chatBody(false))
		if status != tt.status || !strings.Contains(string(body), "upstream says no") {
			t.Errorf("%s %d: got %d %s", tt.provider, tt.status, status, body)
		}
		if n := e.fake.Total().Requests; n != 1 {
			t.Errorf("%s %d: upstream saw %d requests, want 1 (no retry)", tt.provider, tt.status, n)
		}
	}
	if h := e.health().Providers; h["ollama"].Available != 2 || h["openrouter"].Available != 2 {
		t.Errorf("client errors touched keys: %+v", h)
	}
}

// When every attempt fails the client gets the last upstream status and
// message; a key is never tried twice for one request.
func TestAllAttemptsFail(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"MAX_RETRIES": "3"})
	keys := []string{"sk-a-0123456789abcdef", "sk-b-0123456789abcdef"}
	e.importKeys("ollama", keys...)
	token := e.createToken("ollama")
	for _, k := range keys {
		e.fake.SetFault(k, fakeupstream.Fault{Status: 429, RetryAfter: "7", Message: "slow down please"})
	}
	status, body, hdr := e.do("POST", chatPath("ollama"), token, chatBody(false))
	if status != 429 || !strings.Contains(string(body), "slow down please") || hdr.Get("Retry-After") != "7" {
		t.Fatalf("got %d %s Retry-After=%q", status, body, hdr.Get("Retry-After"))
	}
	assertOpenAIError(t, body)
	for _, k := range keys {
		if n := e.fake.Counts(k).Requests; n != 1 {
			t.Errorf("key %s tried %d times, want 1", k, n)
		}
	}
	// Both keys now cool down: no key at all is available.
	status, body, _ = e.do("POST", chatPath("ollama"), token, chatBody(false))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), `"code":"no_available_keys"`) {
		t.Fatalf("with every key cooling down: %d %s", status, body)
	}
	assertOpenAIError(t, body)
}

// MAX_RETRIES bounds the keys tried for one request.
func TestMaxRetriesBoundsAttempts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"MAX_RETRIES": "2"})
	keys := []string{"sk-a-0123456789abcdef", "sk-b-0123456789abcdef", "sk-c-0123456789abcdef"}
	e.importKeys("ollama", keys...)
	token := e.createToken("ollama")
	for _, k := range keys {
		e.fake.SetFault(k, fakeupstream.Fault{Status: 502})
	}
	status, _, _ := e.do("POST", chatPath("ollama"), token, chatBody(false))
	if status != 502 || e.fake.Total().Requests != 2 {
		t.Fatalf("got %d after %d upstream requests, want 502 after 2", status, e.fake.Total().Requests)
	}
}

func TestNoKeysAnswers503(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	token := e.createToken("ollama")
	status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false))
	if status != 503 || !strings.Contains(string(body), `"code":"no_available_keys"`) {
		t.Fatalf("got %d %s", status, body)
	}
}

// A slow upstream beyond UPSTREAM_TIMEOUT fails over, and the client gets
// 504 when no key answers in time.
func TestUpstreamTimeout(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"UPSTREAM_TIMEOUT": "300ms", "MAX_RETRIES": "1"})
	e.importKeys("ollama", "sk-slow-0123456789abcdef")
	token := e.createToken("ollama")
	e.fake.SetFault("sk-slow-0123456789abcdef", fakeupstream.Fault{FirstByteDelay: 3 * time.Second})
	start := time.Now()
	status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false))
	if status != http.StatusGatewayTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("got %d %s after %v", status, body, time.Since(start))
	}
}

func assertOpenAIError(t *testing.T, body []byte) {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" || e.Error.Code == nil {
		t.Errorf("not an OpenAI-shaped error: %s", body)
	}
}
