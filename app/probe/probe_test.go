package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

const testKey = "sk-probe-test-0123456789abcdef"

// fakeEnv is two Probers in front of the fake upstream, with both
// providers pointed at it: prober as configured by default (Ollama keys
// through GET /api/balance) and chat with OLLAMA_PROBE_MODEL set.
type fakeEnv struct {
	fake         *fakeupstream.Server
	prober, chat *Prober
	ollama, or   *provider.Provider
}

func newFakeEnv(t *testing.T, timeout time.Duration) *fakeEnv {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &fakeEnv{fake: fake, prober: New(Config{Timeout: timeout}),
		chat:   New(Config{Timeout: timeout, OllamaProbeModel: "probe-model"}),
		ollama: provider.New(provider.Ollama, srv.URL), or: provider.New(provider.OpenRouter, srv.URL+"/api")}
}

// modes are the two ways an Ollama key is probed.
func (e *fakeEnv) modes() []struct {
	name string
	pr   *Prober
} {
	return []struct {
		name string
		pr   *Prober
	}{{"balance", e.prober}, {"chat", e.chat}}
}

func TestProbeStatusClasses(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, 300*time.Millisecond)
	tests := []struct {
		name        string
		openRouter  bool
		fault       fakeupstream.Fault
		verdict     Verdict
		status      int
		rateLimited bool
		reason      string // substring
	}{
		{"ollama ok", false, fakeupstream.Fault{}, Valid, 200, false, ""},
		{"ollama 401", false, fakeupstream.Fault{Status: 401}, Invalid, 401, false, "401"},
		{"ollama 402", false, fakeupstream.Fault{Status: 402}, Invalid, 402, false, "402"},
		{"ollama 403", false, fakeupstream.Fault{Status: 403, Message: "cloud access disabled"}, Invalid, 403, false, "cloud access disabled"},
		{"ollama 429", false, fakeupstream.Fault{Status: 429}, Valid, 429, true, "rate limited"},
		{"ollama 500", false, fakeupstream.Fault{Status: 500}, Unknown, 500, false, "upstream error 500"},
		{"ollama 503", false, fakeupstream.Fault{Status: 503}, Unknown, 503, false, "upstream error 503"},
		{"ollama timeout", false, fakeupstream.Fault{FirstByteDelay: 2 * time.Second}, Unknown, 0, false, "probe timeout"},
		{"ollama reset", false, fakeupstream.Fault{ResetBeforeHeaders: true}, Unknown, 0, false, "connection error"},
		{"openrouter ok", true, fakeupstream.Fault{}, Valid, 200, false, ""},
		{"openrouter 401", true, fakeupstream.Fault{Status: 401}, Invalid, 401, false, "401"},
		{"openrouter 402", true, fakeupstream.Fault{Status: 402}, Invalid, 402, false, "402"},
		{"openrouter 429", true, fakeupstream.Fault{Status: 429, RateLimitReset: "1"}, Valid, 429, true, "rate limited"},
		{"openrouter 502", true, fakeupstream.Fault{Status: 502}, Unknown, 502, false, "502"},
	}
	for _, mode := range e.modes() {
		for _, tt := range tests {
			if tt.openRouter && mode.name != "balance" {
				continue // OLLAMA_PROBE_MODEL does not change OpenRouter's probe
			}
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				key := testKey + "-" + mode.name + "-" + strings.ReplaceAll(tt.name, " ", "-")
				if tt.fault != (fakeupstream.Fault{}) {
					e.fake.SetFault(key, tt.fault)
				}
				p := e.ollama
				if tt.openRouter {
					p = e.or
				}
				r := mode.pr.Probe(t.Context(), p, key)
				if r.Verdict != tt.verdict || r.Status != tt.status || r.RateLimited != tt.rateLimited || !strings.Contains(r.Reason, tt.reason) {
					t.Errorf("got %+v, want %s status %d rate limited %v reason ~%q", r, tt.verdict, tt.status, tt.rateLimited, tt.reason)
				}
				if strings.Contains(r.Reason, key) {
					t.Errorf("reason shows the key: %q", r.Reason)
				}
				if r.Valid() != (tt.verdict == Valid) {
					t.Errorf("Valid() = %v", r.Valid())
				}
				if n := e.fake.Counts(key).Requests; n != 1 {
					t.Errorf("%d requests upstream, want 1", n)
				}
			})
		}
	}
}

func TestProbeRequests(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, time.Second)
	e.or.Headers = map[string]string{"X-Title": "Keypool", "HTTP-Referer": ""}
	e.prober.Probe(t.Context(), e.ollama, "sk-ollama-balance-0123456789")
	got := e.fake.LastRequest("sk-ollama-balance-0123456789")
	if got.Method != http.MethodGet || got.Path != "/api/balance" || len(got.Body) != 0 ||
		got.Header.Get("Authorization") != "Bearer sk-ollama-balance-0123456789" {
		t.Errorf("Ollama balance probe: %s %s %v %s", got.Method, got.Path, got.Header, got.Body)
	}
	e.chat.Probe(t.Context(), e.ollama, "sk-ollama-request-0123456789")
	got = e.fake.LastRequest("sk-ollama-request-0123456789")
	var body struct {
		Model     string `json:"model"`
		MaxTokens int    `json:"max_tokens"`
		Stream    *bool  `json:"stream"`
		Messages  []struct{ Role, Content string }
	}
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.Path != "/v1/chat/completions" || body.Model != "probe-model" ||
		body.MaxTokens != 1 || body.Stream == nil || *body.Stream || len(body.Messages) != 1 {
		t.Errorf("Ollama chat probe: %s %s %s", got.Method, got.Path, got.Body)
	}
	for _, pr := range []*Prober{e.prober, e.chat} {
		e.fake.Reset()
		pr.Probe(t.Context(), e.or, "sk-or-request-0123456789")
		got = e.fake.LastRequest("sk-or-request-0123456789")
		if got.Method != http.MethodGet || got.Path != "/api/v1/key" || got.Header.Get("X-Title") != "Keypool" ||
			got.Header.Get("Authorization") != "Bearer sk-or-request-0123456789" {
			t.Errorf("OpenRouter probe: %s %s %v", got.Method, got.Path, got.Header)
		}
		if _, ok := got.Header["Http-Referer"]; ok {
			t.Errorf("empty attribution header sent")
		}
	}
	if n := e.fake.PathRequests("/v1/chat/completions") + e.fake.PathRequests("/api/v1/chat/completions"); n != 0 {
		t.Errorf("%d chat requests for OpenRouter probes", n)
	}
}

func TestProbeOpenRouterCredits(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, time.Second)
	r := e.prober.Probe(t.Context(), e.or, testKey)
	c := r.Credits
	if c == nil || c.Label != "sk-or-v1-abc...xyz" || c.Limit == nil || *c.Limit != 10 ||
		c.LimitRemaining == nil || *c.LimitRemaining != 9.5 || c.Usage != 0.5 || c.IsFreeTier {
		t.Fatalf("credits: %+v", c)
	}
	if r.Balance != nil {
		t.Errorf("OpenRouter probe has a balance: %+v", r.Balance)
	}
	if r := e.prober.Probe(t.Context(), e.ollama, testKey); r.Credits != nil {
		t.Errorf("Ollama probe has credits: %+v", r.Credits)
	}
}

// TestProbeOddAnswers covers answers the fake does not give: plain-text
// errors, a refused probe model, an upstream without /api/balance, a key
// quoted in the message, and a server that is gone.
func TestProbeOddAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		model   string // OLLAMA_PROBE_MODEL
		status  int
		body    string
		verdict Verdict
		reason  string // substring, for both providers
		ollama  string // the whole reason of the Ollama probe, when set
	}{
		{"plain text 401", "", 401, "bad key " + testKey + "\n", Invalid, "bad key sk-pro…cdef", ""},
		{"unknown model", "probe-model", 404, `{"error":"model \"probe-model\" not found"}`, Unknown, "probe refused with 404",
			`probe refused with 404: model "probe-model" not found`},
		{"no balance route", "", 404, "404 page not found", Unknown, "probe refused with 404",
			"probe refused with 404: 404 page not found (this upstream has no GET /api/balance: set OLLAMA_PROBE_MODEL to probe its keys with a 1-token chat)"},
		{"empty 503", "", 503, "", Unknown, "Service Unavailable", ""},
		{"ok with no credits", "", 200, `{}`, Valid, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			for _, p := range []*provider.Provider{provider.New(provider.Ollama, srv.URL), provider.New(provider.OpenRouter, srv.URL)} {
				r := New(Config{Timeout: time.Second, OllamaProbeModel: tt.model}).Probe(t.Context(), p, testKey)
				if r.Verdict != tt.verdict || !strings.Contains(r.Reason, tt.reason) || r.Credits != nil || r.Balance != nil {
					t.Errorf("%s: %+v, want %s ~%q", p.ID, r, tt.verdict, tt.reason)
				}
				if p.ID == provider.Ollama && tt.ollama != "" && r.Reason != tt.ollama {
					t.Errorf("Ollama reason %q, want %q", r.Reason, tt.ollama)
				}
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if r := New(Config{}).Probe(t.Context(), provider.New(provider.Ollama, srv.URL), testKey); r.Verdict != Unknown ||
		!strings.Contains(r.Reason, "connection error") {
		t.Errorf("gone server: %+v", r)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if r := New(Config{}).Probe(ctx, provider.New(provider.Ollama, srv.URL), testKey); r.Verdict != Unknown ||
		r.Reason != "probe canceled" {
		t.Errorf("canceled: %+v", r)
	}
}
