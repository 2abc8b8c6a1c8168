package health

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/testkit/logtest"
	"github.com/keypool/keypool/models"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type keyStore []models.Key

func (s keyStore) ListKeys(context.Context) ([]models.Key, error)    { return s, nil }
func (s keyStore) SaveKeyStates(context.Context, []models.Key) error { return nil }

// env is a tracker and a pool of n keys on one fake clock.
type env struct {
	t     *testing.T
	clock *clock
	pool  *pool.Pool
	keys  []*pool.Key
	tr    *Tracker
	log   *logtest.Buffer
}

// logged counts the log lines that contain msg.
func (e *env) logged(msg string) int { return strings.Count(e.log.String(), msg) }

func newEnv(t *testing.T, n int) *env {
	t.Helper()
	c := &clock{now: t0}
	rows := make(keyStore, n)
	for i := range rows {
		rows[i] = models.Key{APIKey: fmt.Sprintf("sk-health-%02d", i), Status: models.StatusActive}
	}
	p := pool.New(pool.Config{Now: c.Now}, rows, slog.New(slog.DiscardHandler))
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: c, pool: p, log: &logtest.Buffer{}}
	for _, r := range rows {
		k, _ := p.Get(r.APIKey)
		e.keys = append(e.keys, k)
	}
	e.tr = New(Config{Label: "Ollama", PoolSize: p.Len, Now: c.Now, Log: slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return e
}

// admit admits a request for model or fails the test.
func (e *env) admit(model string) Pass {
	e.t.Helper()
	pass, r := e.tr.Admit(model)
	if r != nil {
		e.t.Fatalf("Admit(%q) refused: %s", model, r.Message)
	}
	return pass
}

// fail makes one request for model whose only attempt, with key i, fails
// upstream-wide; it returns what Failure said.
func (e *env) fail(model string, i int) (bool, *Refusal) {
	e.t.Helper()
	pass := e.admit(model)
	defer pass.Done()
	return pass.Failure(e.keys[i], 503, "upstream overloaded")
}

// succeed makes one request for model served by key i.
func (e *env) succeed(model string, i int) {
	e.t.Helper()
	pass := e.admit(model)
	defer pass.Done()
	e.pool.Mark(e.keys[i], pool.Success, time.Time{})
	pass.Success()
}

func TestOutageOpensAfterSeveralKeysAndRecoversOnProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 5)
	e.succeed("m", 0)
	e.clock.Advance(11 * time.Second) // the success is no evidence any more
	for i := range 2 {
		if _, open := e.fail("m", i); open != nil {
			t.Fatalf("open after %d failures", i+1)
		}
	}
	_, open := e.fail("m", 2)
	if open == nil {
		t.Fatal("not open after 3 keys failed with no success")
	}
	if open.Model != "" || !strings.Contains(open.Message, "Ollama is not answering") ||
		!strings.Contains(open.Message, "3 attempts in a row failed") || !strings.Contains(open.Message, "upstream overloaded") {
		t.Errorf("refusal %+v", open)
	}
	if ra := open.RetryAfter(e.clock.Now()); ra < 1 || ra > 3 {
		t.Errorf("Retry-After %d s, want about the 2 s probe delay", ra)
	}
	if st := e.tr.State(); st.Up || st.Since == nil || st.LastError != "upstream overloaded" {
		t.Errorf("State %+v, want down", st)
	}

	// Until the probe is due every request is refused, and no key is spent.
	for _, model := range []string{"m", "other", ""} {
		if _, r := e.tr.Admit(model); r == nil {
			t.Errorf("Admit(%q) passed while the provider is down", model)
		}
	}
	e.clock.Advance(open.RetryAt.Sub(e.clock.Now()))
	probe := e.admit("m")
	if !probe.Probing() {
		t.Fatal("the first request after the delay is not the probe")
	}
	if _, r := e.tr.Admit("m"); r == nil {
		t.Error("a second request passed while the probe is in flight")
	}
	e.pool.Mark(e.keys[3], pool.Success, time.Time{})
	probe.Success()
	probe.Done()
	for i := range 3 {
		if _, r := e.tr.Admit("m"); r != nil {
			t.Fatalf("request %d refused after the probe succeeded: %s", i, r.Message)
		}
	}
	if !e.tr.State().Up {
		t.Error("still down after a successful probe")
	}
	if n := e.logged("health: provider degraded"); n != 1 {
		t.Errorf("%d 'degraded' log lines, want 1", n)
	}
	if n := e.logged("health: recovered"); n != 1 {
		t.Errorf("%d 'recovered' log lines, want 1", n)
	}
}

func TestFailedProbesBackOffUpToTheCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3)
	e.tr.cfg.ProbeMax = 10 * time.Second
	for i := range 3 {
		e.fail("m", i)
	}
	var waits []time.Duration
	for range 6 {
		_, r := e.tr.Admit("m")
		if r == nil {
			t.Fatal("admitted before the probe was due")
		}
		e.clock.Advance(r.RetryAt.Sub(e.clock.Now()))
		probe := e.admit("m")
		if !probe.Probing() {
			t.Fatal("not the probe")
		}
		_, again := probe.Failure(e.keys[0], 0, "dial tcp: connection refused")
		probe.Done()
		if again == nil {
			t.Fatal("a failed probe did not keep the breaker open")
		}
		waits = append(waits, again.RetryAt.Sub(e.clock.Now()))
	}
	// 4 s, 8 s, then the 10 s cap, each ±20 %.
	for i, want := range []time.Duration{4, 8, 10, 10, 10, 10} {
		want *= time.Second
		if w := waits[i]; w < want*8/10 || w > want*12/10 {
			t.Errorf("wait after failed probe %d = %v, want %v ±20 %%", i+1, w, want)
		}
	}
	if n := e.logged("health: provider degraded"); n != 1 {
		t.Errorf("%d 'degraded' log lines over 6 failed probes, want 1", n)
	}
}

func TestOneModelDegradesWhileOthersAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	for i := range 3 {
		e.succeed("good", 3)
		e.fail("bad", i)
	}
	_, r := e.tr.Admit("bad")
	if r == nil {
		t.Fatal("the failing model is still admitted")
	}
	if r.Model != "bad" || !strings.Contains(r.Message, "failing for model bad (other models answer)") {
		t.Errorf("refusal %+v", r)
	}
	good := e.admit("good")
	good.Done()
	st := e.tr.State()
	if !st.Up || len(st.Models) != 1 || st.Models[0].Model != "bad" {
		t.Errorf("State %+v, want the provider up and model bad down", st)
	}
	if n := e.logged("health: model degraded"); n != 1 {
		t.Errorf("%d 'model degraded' lines, want 1", n)
	}
}

func TestAKeyFailingAloneIsItsOwnFault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3)
	for round := range 20 {
		e.succeed("m", 1+round%2)
		own, open := e.fail("m", 0)
		if !own {
			t.Fatalf("round %d: failure of key 0 while keys 1 and 2 succeed is not its own", round)
		}
		if open != nil {
			t.Fatalf("round %d: breaker open over one bad key: %s", round, open.Message)
		}
	}
	// A key that also succeeds lately is not to blame for one failure.
	e.succeed("m", 0)
	e.succeed("m", 1)
	if own, _ := e.fail("m", 0); own {
		t.Error("a failure of a key that just succeeded is blamed on it")
	}
	// No success anywhere lately: nobody's own fault.
	e.clock.Advance(time.Minute)
	if own, _ := e.fail("m", 1); own {
		t.Error("a failure with no recent success anywhere is blamed on the key")
	}
}

func TestSmallPoolsAndSpreadFailures(t *testing.T) {
	t.Parallel()
	t.Run("one key opens after three failures", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, 1)
		e.fail("m", 0)
		e.fail("m", 0)
		if _, open := e.fail("m", 0); open == nil {
			t.Error("a one-key pool is not degraded after three failures in a row")
		}
	})
	t.Run("many keys need three distinct ones", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, 10)
		for range 5 {
			e.fail("m", 0)
		}
		if _, r := e.tr.Admit("m"); r != nil {
			t.Errorf("one key's failures opened the breaker of a 10-key pool: %s", r.Message)
		}
	})
	t.Run("failures far apart are no streak", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, 5)
		for i := range 5 {
			e.fail("m", i)
			if _, r := e.tr.Admit("m"); r != nil {
				t.Fatalf("open after failure %d, 11 s after the one before", i+1)
			}
			e.clock.Advance(11 * time.Second)
		}
	})
	t.Run("a success ends the streak", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, 5)
		e.fail("m", 0)
		e.fail("m", 1)
		e.succeed("m", 4)
		e.fail("m", 2)
		if _, r := e.tr.Admit("m"); r != nil {
			t.Errorf("open although a success came between the failures: %s", r.Message)
		}
	})
}

func TestProbeWithoutVerdictLetsTheNextRequestProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3)
	var open *Refusal
	for i := range 3 {
		_, open = e.fail("m", i)
	}
	e.clock.Advance(open.RetryAt.Sub(e.clock.Now()))
	probe := e.admit("m")
	probe.Done() // e.g. the upstream answered 400, or the client left
	if next := e.admit("m"); !next.Probing() {
		t.Error("after a probe without a verdict the next request is not the probe")
	}
}

func TestNilTrackerAdmitsEverything(t *testing.T) {
	t.Parallel()
	var tr *Tracker
	pass, r := tr.Admit("m")
	if r != nil || pass.Probing() {
		t.Fatalf("nil tracker: %+v %+v", pass, r)
	}
	if own, open := pass.Failure(nil, 503, "x"); own || open != nil {
		t.Error("nil tracker judged a failure")
	}
	pass.Success()
	pass.Done()
	if !tr.State().Up {
		t.Error("nil tracker is not up")
	}
}

func TestModelBreakersAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	for i := range maxModels + 100 {
		e.succeed(fmt.Sprintf("model-%d", i), i%2)
	}
	if n := e.tr.nmodels.Load(); n > maxModels+1 {
		t.Errorf("%d model breakers, want at most %d", n, maxModels+1)
	}
}

func TestSuccessAfterFailoverBlamesTheKeysThatFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3)
	e.succeed("m", 1)
	e.clock.Advance(20 * time.Second) // nothing succeeded in the last 10 s
	pass := e.admit("m")
	if own, _ := pass.Failure(e.keys[0], 503, "x"); own {
		t.Fatal("blamed before any success: nothing shows yet that the upstream works")
	}
	e.pool.Mark(e.keys[2], pool.Success, time.Time{})
	atFault := pass.Success()
	pass.Done()
	if len(atFault) != 1 || atFault[0] != e.keys[0] {
		t.Errorf("at fault after key 2 answered the same request: %v, want key 0", atFault)
	}

	// A key that succeeded lately is not blamed for one failure, before or
	// after another key's success.
	pass = e.admit("m")
	if own, _ := pass.Failure(e.keys[2], 503, "x"); own {
		t.Error("key 2 blamed although it just succeeded")
	}
	e.pool.Mark(e.keys[1], pool.Success, time.Time{})
	if atFault := pass.Success(); len(atFault) != 0 {
		t.Errorf("at fault %v, want none", atFault)
	}
	pass.Done()
}
