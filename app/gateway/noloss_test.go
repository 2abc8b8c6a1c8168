package gateway_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/testkit/storetest"
)

// newLoadEnv is a gateway with keys and a token, ready for load.
func newLoadEnv(t *testing.T, dialect string, env map[string]string) (*testEnv, string) {
	t.Helper()
	vars := map[string]string{"STATS_FLUSH_INTERVAL": "200ms"}
	for k, v := range env {
		vars[k] = v
	}
	e := newTestEnv(t, dialect, vars)
	e.fake.SetOptions(fakeupstream.Options{Chunks: 10, ChunkDelay: time.Millisecond})
	e.importKeys("ollama", "sk-load-1-0123456789", "sk-load-2-0123456789", "sk-load-3-0123456789")
	return e, e.createToken("ollama")
}

// checkTotals compares the stored totals with the clients' tally.
func checkTotals(t *testing.T, e *testEnv, tl *tally) {
	t.Helper()
	tb := e.readTables(t, "ollama_api")
	if tb.Global.Total != tl.total || tb.Global.Success != tl.success {
		t.Errorf("stored %d requests (%d successes); clients got %d answers (%d successes)",
			tb.Global.Total, tb.Global.Success, tl.total, tl.success)
	}
	for model, want := range tl.models {
		if tb.Models[model] != want || tb.Hourly[model] != want {
			t.Errorf("model %s: stored %v / hourly %v, clients %v", model, tb.Models[model], tb.Hourly[model], want)
		}
	}
	for token, want := range tl.tokens {
		if tb.Tokens[token] != want {
			t.Errorf("token request_count %d, clients %d", tb.Tokens[token], want)
		}
	}
	var keys int64
	for _, r := range tb.Keys {
		keys += r.Total
	}
	if up := e.fake.Total().Requests; keys != up {
		t.Errorf("key_stats count %d attempts; the upstream saw %d", keys, up)
	}
}

// Stopping the gateway during load (what SIGTERM does in main: Shutdown
// with a grace period) loses no count: after a restart, the stored totals
// equal the requests that got an answer.
func TestShutdownDuringLoadLosesNothing(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e, token := newLoadEnv(t, dialect, nil)
		l := newLoad([]string{e.url}, token, 32, 1<<40)
		done := make(chan struct{})
		go func() { l.run(t); close(done) }()
		time.Sleep(1500 * time.Millisecond)
		e.stop() // requests in flight finish; new ones are refused
		time.Sleep(300 * time.Millisecond)
		close(l.stop)
		<-done
		if l.tally.total == 0 || l.errs.Load() == 0 {
			t.Fatalf("load did not straddle the shutdown: %d answered, %d refused", l.tally.total, l.errs.Load())
		}
		e.start()
		e.stop()
		checkTotals(t, e, l.tally)
	})
}

// Two gateways on one PostgreSQL add up: their additive upserts never
// overwrite each other.
func TestTwoInstancesAddUp(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	e, token := newLoadEnv(t, "postgres", nil)
	second, stopSecond := e.instance(t)
	l := newLoad([]string{e.url, second}, token, 32, 4000)
	l.run(t)
	stopSecond()
	e.stop()
	if l.errs.Load() != 0 {
		t.Fatalf("%d requests got no answer", l.errs.Load())
	}
	checkTotals(t, e, l.tally)
}

// PostgreSQL unreachable for several seconds during load loses no count:
// the sums wait in memory and are written when the database is back.
func TestDatabaseOutageLosesNothing(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	e, token := newLoadEnv(t, "postgres", nil)
	e.stop()
	direct := e.cfg.DatabaseURL
	var proxy *tcpProxy
	e.cfg.DatabaseURL, proxy = viaProxy(t, direct)
	e.start()

	l := newLoad([]string{e.url}, token, 16, 1<<40)
	done := make(chan struct{})
	go func() { l.run(t); close(done) }()
	time.Sleep(700 * time.Millisecond)
	proxy.setDown(true)
	time.Sleep(3 * time.Second)
	if h := e.health(); h.Database != "unreachable" {
		t.Errorf("health during the outage: %+v", h)
	}
	proxy.setDown(false)
	time.Sleep(700 * time.Millisecond)
	close(l.stop)
	<-done
	if l.errs.Load() != 0 {
		t.Fatalf("%d requests failed during the database outage: the hot path must not need the database", l.errs.Load())
	}
	e.stop()
	e.cfg.DatabaseURL = direct
	checkTotals(t, e, l.tally)
	if !strings.Contains(e.logs.String(), "counts kept in memory") {
		t.Errorf("no warning logged while the database was down")
	}
}

// requirePostgres skips a PostgreSQL-only test when no PostgreSQL is
// configured (and fails it in CI, through storetest).
func requirePostgres(t *testing.T) {
	t.Helper()
	if !slices.Contains(storetest.Dialects(t), "postgres") {
		t.Skip("PostgreSQL only: set TEST_DATABASE_URL")
	}
}
