package proxy

import (
	"strconv"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// trip opens model's breaker (the provider's too, unless another model
// succeeds in between) with upstream-wide failures on two keys, as two
// requests that failed would.
func trip(t *testing.T, e *testEnv, model string, keys ...string) {
	t.Helper()
	for _, apiKey := range keys {
		k, ok := e.pool.Get(apiKey)
		if !ok {
			t.Fatalf("key %s not in the pool", apiKey)
		}
		pass, refused := e.health.Admit(model)
		if refused != nil {
			t.Fatalf("breaker for %q open before its last failure", model)
		}
		pass.Failure(k, 503, "the upstream is down")
		pass.Done()
	}
}

// succeed records a success for model, as a request that worked would.
func succeed(t *testing.T, e *testEnv, model string) {
	t.Helper()
	pass, refused := e.health.Admit(model)
	if refused != nil {
		t.Fatalf("breaker for %q open", model)
	}
	pass.Success()
	pass.Done()
}

// While a breaker is open, requests it covers are answered 503
// upstream_degraded with the cause and Retry-After, and spend no key:
// nothing reaches the upstream.
func TestOpenBreakerAnswersWithoutUpstream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		open        func(t *testing.T, e *testEnv)
		model       string
		wantMessage string
		spent       int64  // upstream attempts made while opening it
		other       string // a model still served, if any
	}{
		{"the provider's", func(t *testing.T, e *testEnv) { trip(t, e, "m", e.keys...) },
			"m", "Ollama is not answering", 0, ""},
		{"one model's, while another answers", func(t *testing.T, e *testEnv) {
			trip(t, e, "bad", e.keys[0])
			succeed(t, e, "good") // the provider works: only the model's streak goes on
			trip(t, e, "bad", e.keys[1])
		}, "bad", "Ollama is failing for model bad", 0, "good"},
		{"opened by an earlier request's failures", func(t *testing.T, e *testEnv) {
			e.fake.SetOutage(fakeupstream.Outage{Status: 503, Message: "overloaded"})
			resp, body := e.chat(chatBody)
			if got := decodeError(t, resp.StatusCode, body); resp.StatusCode != 503 || got.Error.Code != "upstream_degraded" {
				t.Fatalf("the request that opened the breaker got %d %s", resp.StatusCode, body)
			}
			e.rec.wait(t, 1)
		}, "m", "overloaded", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{keys: []string{"sk-key-0", "sk-key-1"}, health: health.Config{Keys: 2}})
			tt.open(t, e)
			if n := e.attemptsTotal(); n != tt.spent {
				t.Fatalf("%d upstream attempts while opening the breaker, want %d", n, tt.spent)
			}
			resp, body := e.chat(`{"model":"` + tt.model + `","messages":[]}`)
			if resp.StatusCode != 503 {
				t.Fatalf("client got %d %s, want 503", resp.StatusCode, body)
			}
			got := decodeError(t, resp.StatusCode, body)
			if got.Error.Code != "upstream_degraded" || got.Error.Type != "server_error" || !strings.Contains(got.Error.Message, tt.wantMessage) {
				t.Errorf("error %+v, want upstream_degraded saying %q", got.Error, tt.wantMessage)
			}
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
				t.Errorf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
			}
			if n := e.attemptsTotal(); n != tt.spent {
				t.Errorf("%d upstream attempts, want %d: an open breaker spent a key", n, tt.spent)
			}
			outs := e.rec.wait(t, int(min(tt.spent, 1))+1)
			if out := outs[len(outs)-1]; out.Status != 503 || out.Success || out.Key != "" || len(out.FailedKeys) != 0 {
				t.Errorf("outcome %+v, want a 503 that reached no key", out)
			}
			if tt.other != "" {
				if resp, body := e.chat(`{"model":"` + tt.other + `","messages":[]}`); resp.StatusCode != 200 {
					t.Errorf("model %s, whose breaker is closed, got %d %s", tt.other, resp.StatusCode, body)
				}
			}
		})
	}
}
