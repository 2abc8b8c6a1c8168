package gateway_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// switchable is an upstream listener that can be stopped and started again
// on the same address: the upstream unreachable (connection refused), then
// back.
type switchable struct {
	t       *testing.T
	handler http.Handler
	addr    string
	mu      sync.Mutex
	srv     *http.Server
}

func newSwitchable(t *testing.T, h http.Handler) *switchable {
	s := &switchable{t: t, handler: h}
	s.up()
	t.Cleanup(s.down)
	return s
}

func (s *switchable) url() string { return "http://" + s.addr }

func (s *switchable) up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("listen again on %s: %v", addr, err)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: s.handler}
	go func() { _ = s.srv.Serve(ln) }()
}

func (s *switchable) down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		_ = s.srv.Close() // the listener and every connection
		s.srv = nil
	}
}

// outageRun is what the clients saw while an outage came and went.
type outageRun struct {
	sent, ok   int
	degraded   int           // 503 upstream_degraded answers
	retryAfter []int         // their Retry-After
	recovered  time.Duration // from the upstream's return to the first of the final run of 200s
	messages   []string
}

// An upstream that fails as a whole — a 503 wave on every key, or no
// listener at all — benches no key: the breaker answers 503 with the cause
// and Retry-After, spends no keys while open, and the first successful probe
// after the upstream's return lets every request through again. The
// statistics stay exact through all of it.
func TestProviderOutageBenchesNoKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		outage   time.Duration
		start    func(*testEnv, *switchable)
		end      func(*testEnv, *switchable)
		wantText string // in the degraded answer's message
	}{
		{"every key answers 503 for 4 s", 4 * time.Second,
			func(e *testEnv, _ *switchable) {
				e.fake.SetOutage(fakeupstream.Outage{Status: 503, Message: "upstream overloaded, try later"})
			},
			func(e *testEnv, _ *switchable) { e.fake.EndOutage() },
			"upstream overloaded, try later"},
		{"the upstream is unreachable for 3 s", 3 * time.Second,
			func(_ *testEnv, s *switchable) { s.down() },
			func(_ *testEnv, s *switchable) { s.up() },
			"connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := fakeupstream.New(fakeupstream.Options{Chunks: 3})
			sw := newSwitchable(t, fake)
			e := newTestEnv(t, "sqlite", map[string]string{"OLLAMA_BASE_URL": sw.url(), "MAX_RETRIES": "3",
				"UPSTREAM_TIMEOUT": "2s", "STATS_FLUSH_INTERVAL": "100ms", "METRICS_TOKEN": metricsToken})
			e.fake = fake
			keys := []string{"sk-out-a-0123456789", "sk-out-b-0123456789", "sk-out-c-0123456789", "sk-out-d-0123456789"}
			e.importKeys("ollama", keys...)
			token := e.createToken("ollama")
			run := outageRun{}
			send := func() (int, []byte, http.Header) {
				run.sent++
				status, body, hdr := e.do("POST", chatPath("ollama"), token, chatBody(run.sent%2 == 0))
				if status == http.StatusOK {
					run.ok++
				}
				return status, body, hdr
			}
			for range 8 {
				if status, body, _ := send(); status != http.StatusOK {
					t.Fatalf("before the outage: %d %s", status, body)
				}
			}

			attemptsSoFar := func() int {
				return int(sample(scrapeMetrics(t, e), "keypool_upstream_latency_seconds", map[string]string{"provider": "ollama"}))
			}
			tt.start(e, sw)
			before := attemptsSoFar()
			sawDown := false
			for end := time.Now().Add(tt.outage); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
				status, body, hdr := send()
				if status == http.StatusOK {
					t.Fatalf("200 during the outage: %s", body)
				}
				var shape struct {
					Error struct{ Message, Code string }
				}
				if err := json.Unmarshal(body, &shape); err != nil {
					t.Fatalf("%d %s: not OpenAI-shaped", status, body)
				}
				if shape.Error.Code == "upstream_degraded" {
					run.degraded++
					n, err := strconv.Atoi(hdr.Get("Retry-After"))
					if status != http.StatusServiceUnavailable || err != nil || n < 1 || n > 30 {
						t.Errorf("degraded answer %d Retry-After %q", status, hdr.Get("Retry-After"))
					}
					run.retryAfter = append(run.retryAfter, n)
					run.messages = append(run.messages, shape.Error.Message)
				}
				if !sawDown {
					h := e.health().Providers["ollama"]
					if h.Status == "degraded" && !h.Upstream.Up {
						sawDown = true
						if up := sample(scrapeMetrics(t, e), "keypool_provider_up", map[string]string{"provider": "ollama"}); up != 0 {
							t.Errorf("keypool_provider_up %v while degraded, want 0", up)
						}
					}
				}
				if h := e.health().Providers["ollama"]; h.Failed != 0 {
					t.Fatalf("a key was failed during the outage: %+v", h)
				}
			}
			attempts := attemptsSoFar() - before
			if run.degraded == 0 || !sawDown {
				t.Fatalf("the breaker never opened (%d degraded answers, /health down: %v)", run.degraded, sawDown)
			}
			if !strings.Contains(run.messages[0], "Ollama is not answering") || !strings.Contains(run.messages[0], tt.wantText) {
				t.Errorf("degraded message %q, want the provider and the cause (%q)", run.messages[0], tt.wantText)
			}
			// Without a breaker each request would spend MAX_RETRIES keys.
			// With it: the attempts that opened it, then one probe every
			// 2 s, 4 s, …
			if attempts > 10 {
				t.Errorf("%d upstream attempts during the outage for %d requests, want a handful", attempts, run.sent-8)
			}

			tt.end(e, sw)
			back := time.Now()
			streak := 0
			var firstOK time.Time
			for streak < 20 {
				if time.Since(back) > 10*time.Second {
					t.Fatalf("not serving 10 s after the upstream came back (%d in a row ok)", streak)
				}
				status, _, _ := send()
				switch {
				case status == http.StatusOK && streak == 0:
					firstOK, streak = time.Now(), 1
				case status == http.StatusOK:
					streak++
				default:
					streak = 0
					time.Sleep(50 * time.Millisecond)
				}
			}
			run.recovered = firstOK.Sub(back)
			// The upstream was down for 3–4 s: the second probe is due 2 s +
			// 4 s (±20 %) after the breaker opened.
			if run.recovered > 6*time.Second {
				t.Errorf("serving again %v after the upstream's return, want within a probe interval", run.recovered)
			}
			h := e.health().Providers["ollama"]
			if h.Failed != 0 || h.Status != "ok" || !h.Upstream.Up || h.Available != len(keys) {
				t.Errorf("after recovery: %+v, want every key available and the provider ok", h)
			}
			if up := sample(scrapeMetrics(t, e), "keypool_provider_up", map[string]string{"provider": "ollama"}); up != 1 {
				t.Errorf("keypool_provider_up %v after recovery, want 1", up)
			}
			logs := e.logs.String()
			if n := strings.Count(logs, "health: provider degraded"); n != 1 {
				t.Errorf("%d 'degraded' log lines, want 1", n)
			}
			if n := strings.Count(logs, "health: recovered"); n != 1 {
				t.Errorf("%d 'recovered' log lines, want 1", n)
			}
			if strings.Contains(logs, `"pool: key failed"`) {
				t.Error("a key was failed during the outage (log)")
			}

			// Exact statistics: every client request once, every attempt in
			// its key's row (the probes too).
			allAttempts := attemptsSoFar()
			e.stop()
			tb := e.readTables(t, "ollama_api")
			if tb.Global.Total != int64(run.sent) || tb.Global.Success != int64(run.ok) {
				t.Errorf("global_stats %+v, clients sent %d, %d ok", tb.Global, run.sent, run.ok)
			}
			var keyTotal, keyOK int64
			for _, k := range keys {
				keyTotal, keyOK = keyTotal+tb.Keys[k].Total, keyOK+tb.Keys[k].Success
			}
			if keyTotal != int64(allAttempts) || keyOK != fake.Total().OK || keyOK != int64(run.ok) {
				t.Errorf("key_stats count %d attempts, %d ok; the gateway made %d, the upstream answered %d ok, clients got %d",
					keyTotal, keyOK, allAttempts, fake.Total().OK, run.ok)
			}
			t.Logf("%s: %d requests, %d degraded answers (Retry-After %v), %d upstream attempts during the outage, serving again %v after the return",
				tt.name, run.sent, run.degraded, run.retryAfter[:min(5, len(run.retryAfter))], attempts, run.recovered.Round(time.Millisecond))
		})
	}
}

// Ollama's 402 for one model takes the key out for that model only: a
// request for it fails over to a key that can serve it, and the key keeps
// serving every other model.
func TestPerModel402KeepsTheKeyForOtherModels(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	paid, other := "sk-plan-only-0123456789", "sk-extra-usage-0123456789"
	e.importKeys("ollama", paid, other)
	token := e.createToken("ollama")
	e.fake.SetFault(paid, fakeupstream.Fault{Status: 402, Model: "premium:1t",
		Message: "this model uses extra usage only (not included plan usage) and your extra usage balance is empty"})
	body := func(model string) map[string]any {
		return map[string]any{"model": model, "messages": []map[string]string{{"role": "user", "content": "hi"}}}
	}
	for i := range 6 {
		if status, b, _ := e.do("POST", chatPath("ollama"), token, body("premium:1t")); status != http.StatusOK {
			t.Fatalf("premium request %d: %d %s", i, status, b)
		}
	}
	if n := e.fake.Counts(paid).Failed; n != 1 {
		t.Errorf("the plan-only key got %d premium requests that failed, want 1 (then out for that model)", n)
	}
	okBefore := e.fake.Counts(paid).OK
	for i := range 6 {
		if status, b, _ := e.do("POST", chatPath("ollama"), token, body("gpt-oss:120b")); status != http.StatusOK {
			t.Fatalf("plan request %d: %d %s", i, status, b)
		}
	}
	if got := e.fake.Counts(paid).OK - okBefore; got != 3 {
		t.Errorf("the plan-only key served %d of 6 plan-model requests, want its share of 3", got)
	}
	if h := e.health().Providers["ollama"]; h.Failed != 0 || h.Available != 2 {
		t.Errorf("keys after a per-model 402: %+v, want both available", h)
	}
	// With the only key that can serve it out, the answer says so.
	e2 := newTestEnv(t, "sqlite", nil)
	e2.importKeys("ollama", paid)
	token2 := e2.createToken("ollama")
	e2.fake.SetFault(paid, fakeupstream.Fault{Status: 402, Model: "premium:1t",
		Message: "this model uses extra usage only (not included plan usage) and your extra usage balance is empty"})
	if status, _, _ := e2.do("POST", chatPath("ollama"), token2, body("premium:1t")); status != http.StatusPaymentRequired {
		t.Errorf("first premium request with one key: %d, want the upstream's 402", status)
	}
	status, b, hdr := e2.do("POST", chatPath("ollama"), token2, body("premium:1t"))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(b), "out for this model") || hdr.Get("Retry-After") == "" {
		t.Errorf("second premium request: %d %s Retry-After %q", status, b, hdr.Get("Retry-After"))
	}
	if status, b, _ := e2.do("POST", chatPath("ollama"), token2, body("gpt-oss:120b")); status != http.StatusOK {
		t.Errorf("other model with the same key: %d %s", status, b)
	}
}

// One broken key among healthy ones is the only one that rests, briefly,
// and the provider is never called degraded.
func TestOneBrokenKeyAmongHealthyOnes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	keys := []string{"sk-broken-0123456789", "sk-fine-1-0123456789", "sk-fine-2-0123456789", "sk-fine-3-0123456789"}
	e.importKeys("ollama", keys...)
	token := e.createToken("ollama")
	e.fake.SetFault(keys[0], fakeupstream.Fault{Status: 500, Message: "internal error"})
	for i := range 40 {
		if status, b, _ := e.do("POST", chatPath("ollama"), token, chatBody(i%2 == 0)); status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, status, b)
		}
	}
	if n := e.fake.Counts(keys[0]).Requests; n < 1 || n > 2 {
		t.Errorf("the broken key was tried %d times in 40 requests, want once or twice (then it rests)", n)
	}
	h := e.health().Providers["ollama"]
	if h.CoolingDown != 1 || h.Failed != 0 || h.Available != 3 || h.Status != "ok" {
		t.Errorf("keys: %+v, want only the broken one resting and the provider ok", h)
	}
	if strings.Contains(e.logs.String(), "health: provider degraded") || strings.Contains(e.logs.String(), "health: model degraded") {
		t.Error("one broken key made the provider or the model degraded")
	}
}

// When every key is resting, the 503 says so and when the first is back.
func TestNoKeyCanServeSaysWhy(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	keys := []string{"sk-busy-1-0123456789", "sk-busy-2-0123456789"}
	e.importKeys("ollama", keys...)
	token := e.createToken("ollama")
	for _, k := range keys {
		e.fake.SetFault(k, fakeupstream.Fault{Status: 429, RetryAfter: "30"})
	}
	e.do("POST", chatPath("ollama"), token, chatBody(false)) // both keys answer 429 and cool down
	status, body, hdr := e.do("POST", chatPath("ollama"), token, chatBody(false))
	var shape struct {
		Error struct{ Message, Code string }
	}
	if err := json.Unmarshal(body, &shape); err != nil || status != http.StatusServiceUnavailable || shape.Error.Code != "no_available_keys" {
		t.Fatalf("%d %s", status, body)
	}
	const want = "all 2 are cooling down (rate limited); the first is back at "
	i := strings.Index(shape.Error.Message, want)
	if i < 0 {
		t.Fatalf("message %q, want it to contain %q", shape.Error.Message, want)
	}
	at, err := time.Parse("15:04:05 UTC", shape.Error.Message[i+len(want):])
	now := time.Now().UTC()
	back := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), at.Second(), 0, time.UTC)
	if d := back.Sub(now); err != nil || d < 27*time.Second && d > -24*time.Hour+31*time.Second || d > 31*time.Second {
		t.Errorf("back at %q (%v from now), want in 30 s", shape.Error.Message[i+len(want):], d)
	}
	if n, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || n < 28 || n > 30 {
		t.Errorf("Retry-After %q, want the 30 s of the cooldown", hdr.Get("Retry-After"))
	}
}
