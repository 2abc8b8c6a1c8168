package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/tokens"
	"github.com/keypool/keypool/models"
)

// testToken is the client token every test env accepts.
const testToken = "sk-kp-test-0123456789abcdef"

// envOptions shape a test env; the zero value is one Ollama key and the
// proxy's defaults.
type envOptions struct {
	keys     []string             // the pool's keys; nil: one key, "sk-key-0"
	provider string               // provider.Ollama (default) or provider.OpenRouter
	cfg      Config               // the proxy's configuration
	health   health.Config        // the provider's breakers (Label and PoolSize are filled in)
	fake     fakeupstream.Options // the upstream's answers
	attempts []fakeupstream.Fault // faults for the first attempts, in arrival order
}

// testEnv is a proxy mounted on a Fiber app, in front of a fake upstream,
// with everything it needs held in memory: no database, no gateway.
type testEnv struct {
	t      *testing.T
	fake   *fakeupstream.Server
	proxy  *Proxy
	target *Target
	pool   *pool.Pool
	health *health.Tracker
	rec    *recorder
	app    *fiber.App
	keys   []string
}

// newTestEnv builds a proxy for o and starts its client watcher until the
// test ends.
func newTestEnv(t *testing.T, o envOptions) *testEnv {
	t.Helper()
	if o.keys == nil {
		o.keys = []string{"sk-key-0"}
	}
	if o.provider == "" {
		o.provider = provider.Ollama
	}
	if o.health.Keys == 0 {
		// More than any test's attempts: a breaker opens only where a
		// test asks for it.
		o.health.Keys = 10
	}
	if o.health.ProbeBase == 0 {
		o.health.ProbeBase = time.Minute // no probe comes due during a test
	}
	fake := fakeupstream.New(o.fake)
	up := httptest.NewServer(&attemptFaults{fake: fake, faults: o.attempts})
	t.Cleanup(up.Close)
	base := up.URL
	if o.provider == provider.OpenRouter {
		base += "/api"
	}
	log := slog.New(slog.DiscardHandler)

	pl := pool.New(pool.Config{}, keyStore(o.keys), log)
	if err := pl.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	toks := tokens.New(tokenStore{{Token: tokens.Digest(testToken)}})
	if err := toks.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	info := provider.New(o.provider, base)
	o.health.Label, o.health.PoolSize = info.Label, pl.Len
	tracker := health.New(o.health)
	target := &Target{Provider: info, Pool: pl, Tokens: toks, Health: tracker}

	rec := newRecorder()
	p := New(o.cfg, rec, log)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })

	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: writeProxyError})
	if o.provider == provider.OpenRouter {
		p.Routes(app, nil, target)
	} else {
		p.Routes(app, target, nil)
	}
	return &testEnv{t: t, fake: fake, proxy: p, target: target, pool: pl, health: tracker, rec: rec, app: app, keys: o.keys}
}

// writeProxyError maps errors as the gateway's ErrorHandler does for the
// client routes.
func writeProxyError(c *fiber.Ctx, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return WriteError(c, e)
	}
	return fiber.DefaultErrorHandler(c, err)
}

// chatPath is the env's chat completions route.
func (e *testEnv) chatPath() string {
	if e.target.Provider.ID == provider.OpenRouter {
		return "/openrouter/v1/chat/completions"
	}
	return "/v1/chat/completions"
}

// chat sends one chat request through app.Test and returns the answer
// with its body read.
func (e *testEnv) chat(body string) (*http.Response, string) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, e.chatPath(), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// listen serves the app on a real socket until the test ends, for tests
// that read a stream as it comes or hang up, and returns its base URL.
func (e *testEnv) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	e.t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

// attemptsTotal is the number of requests that reached the upstream.
func (e *testEnv) attemptsTotal() int64 { return e.fake.Total().Requests }

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readEvent reads the next SSE data line (comments and blank lines
// skipped), or "" at the end of the stream.
func readEvent(r *bufio.Reader) (string, error) {
	for {
		line, err := r.ReadString('\n')
		if strings.HasPrefix(line, "data:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "data:")), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// attemptFaults puts the i-th fault on the key of the i-th request the
// upstream receives, whichever key the pool picked for it, so failover
// tests do not depend on the pool's order. Later requests get the fake's
// own answers.
type attemptFaults struct {
	fake   *fakeupstream.Server
	faults []fakeupstream.Fault
	n      atomic.Int64
}

func (h *attemptFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if i := int(h.n.Add(1)) - 1; i < len(h.faults) {
		f := h.faults[i]
		f.Times = 1
		h.fake.SetFault(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), f)
	}
	h.fake.ServeHTTP(w, r)
}

// keyStore is a pool.Store holding active keys; state changes are dropped.
type keyStore []string

func (s keyStore) ListKeys(context.Context) ([]models.Key, error) {
	rows := make([]models.Key, len(s))
	for i, k := range s {
		rows[i] = models.Key{APIKey: k, Status: models.StatusActive}
	}
	return rows, nil
}

func (keyStore) SaveKeyStates(context.Context, []models.Key) error { return nil }

// tokenStore is a tokens.Store of fixed rows.
type tokenStore []models.ClientToken

func (s tokenStore) ListTokens(context.Context) ([]models.ClientToken, error) { return s, nil }

// recorder is a stats.Recorder that keeps every outcome.
type recorder struct {
	mu   sync.Mutex
	outs []stats.Outcome
	more chan struct{} // signalled at every Record
}

func newRecorder() *recorder { return &recorder{more: make(chan struct{}, 1)} }

func (r *recorder) Record(o stats.Outcome) {
	r.mu.Lock()
	r.outs = append(r.outs, o)
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// wait returns the first n outcomes, waiting up to 2 s for them: a
// streamed answer is recorded after the client has read its end.
func (r *recorder) wait(t *testing.T, n int) []stats.Outcome {
	t.Helper()
	timeout := time.After(2 * time.Second)
	for {
		r.mu.Lock()
		got := append([]stats.Outcome(nil), r.outs...)
		r.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
		select {
		case <-r.more:
		case <-timeout:
			t.Fatalf("%d outcomes recorded, want %d", len(got), n)
		}
	}
}

// one returns the only outcome, once recorded.
func (r *recorder) one(t *testing.T) stats.Outcome {
	t.Helper()
	out := r.wait(t, 1)[0]
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.outs) != 1 {
		t.Fatalf("%d outcomes recorded for one request: %+v", len(r.outs), r.outs)
	}
	return out
}
