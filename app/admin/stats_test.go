package admin

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/store/storetest"
	"github.com/keypool/keypool/models"
)

const testAdminToken = "admin-token-for-stats-tests"

// countingReader is the real store, with each call counted; while gate is
// set, GlobalStats waits for it to close.
type countingReader struct {
	statsReader
	global, models, hourly atomic.Int64
	entered                chan struct{} // closed by the first GlobalStats
	gate                   chan struct{}
	once                   sync.Once
}

func (r *countingReader) GlobalStats(ctx context.Context) (store.Totals, error) {
	r.global.Add(1)
	if r.gate != nil {
		r.once.Do(func() { close(r.entered) })
		<-r.gate
	}
	return r.statsReader.GlobalStats(ctx)
}

func (r *countingReader) TopModels(ctx context.Context, limit int) ([]store.ModelRow, error) {
	r.models.Add(1)
	return r.statsReader.TopModels(ctx, limit)
}

func (r *countingReader) HourlySeries(ctx context.Context, from, to time.Time, model string) ([]store.HourPoint, error) {
	r.hourly.Add(1)
	return r.statsReader.HourlySeries(ctx, from, to, model)
}

// statsEnv is the admin API of one provider on a fresh database.
type statsEnv struct {
	store  *store.Store
	pool   *pool.Pool
	routes *statsRoutes
	reader *countingReader
	app    *fiber.App
}

func newStatsEnv(t *testing.T, dialect string, keys ...string) *statsEnv {
	t.Helper()
	st := store.New(storetest.Open(t, dialect), "ollama_api")
	rows := make([]models.Key, len(keys))
	for i, k := range keys {
		rows[i] = models.Key{APIKey: k, Username: "user@example.com"}
	}
	if _, err := st.InsertKeys(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	pl := pool.New(pool.Config{}, st, log)
	if err := pl.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := New(Config{AdminToken: testAdminToken}, map[string]*Provider{provider.Ollama: {Info: provider.New(provider.Ollama, ""), Store: st, Pool: pl}}, log)
	e := &statsEnv{store: st, pool: pl, routes: newStatsRoutes(h), reader: &countingReader{statsReader: st}}
	e.routes.reader = func(*Provider) statsReader { return e.reader }
	e.app = testApp()
	h.routes(e.app, e.routes)
	return e
}

// get sends GET path, decodes a 200 answer into out (if not nil), and returns status and body.
func (e *statsEnv) get(t *testing.T, path, token string, out any) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token) // "Bearer " alone: no token
	resp, err := e.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
	return resp.StatusCode, string(body)
}

// record writes n successful requests of model now.
func (e *statsEnv) record(t *testing.T, model string, n int64) {
	t.Helper()
	now := time.Now().UTC()
	b := &stats.Batch{Provider: provider.Ollama, Global: stats.Counter{Requests: n, Success: n},
		Models: map[string]*stats.ModelDelta{model: {Counter: stats.Counter{Requests: n, Success: n}, LastUsed: now}},
		Hourly: map[stats.HourKey]*stats.Counter{{Model: model, Hour: now.Truncate(time.Hour)}: {Requests: n, Success: n}}}
	if err := e.store.WriteStats(t.Context(), b); err != nil {
		t.Fatal(err)
	}
}

func forEachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

func TestStatsRoutesValidateAndAuthenticate(t *testing.T) {
	e := newStatsEnv(t, "sqlite", "sk-validate-0123456789abcdef")
	tests := []struct {
		path, token string
		status      int
	}{
		{"/admin/stats", "", 401},
		{"/admin/keys/stats", "wrong", 401},
		{"/admin/stats/hourly", "", 401},
		{"/admin/public-stats", "", 200},
		{"/admin/public-stats?provider=openrouter", "", 404},
		{"/admin/public-stats?provider=bogus", "", 400},
		{"/admin/stats", testAdminToken, 200},
		{"/admin/stats?provider=openrouter", testAdminToken, 404},
		{"/admin/keys/stats?page=0", testAdminToken, 400},
		{"/admin/keys/stats?page=x", testAdminToken, 400},
		{"/admin/keys/stats?page=99999999999", testAdminToken, 400},
		{"/admin/keys/stats?per_page=0", testAdminToken, 400},
		{"/admin/keys/stats?per_page=501", testAdminToken, 400},
		{"/admin/keys/stats?per_page=500&page=3", testAdminToken, 200},
		{"/admin/keys/stats?sort=username", testAdminToken, 400},
		{"/admin/keys/stats?sort=key&order=up", testAdminToken, 400},
		{"/admin/keys/stats?reveal=maybe", testAdminToken, 400},
		{"/admin/keys/stats?sort=last_used&order=asc&reveal=true", testAdminToken, 200},
		{"/admin/stats/hourly?hours=48", testAdminToken, 400},
		{"/admin/stats/hourly?hours=-24", testAdminToken, 400},
		{"/admin/stats/hourly?hours=168&model=x", testAdminToken, 200},
	}
	for _, tt := range tests {
		status, body := e.get(t, tt.path, tt.token, nil)
		if status != tt.status || (status != 200 && !strings.Contains(body, `"error"`)) {
			t.Errorf("GET %s (token %q): %d %s, want %d", tt.path, tt.token, status, body, tt.status)
		}
	}
}

// Key states come from the pool, which may be ahead of the store.
func TestKeyStatsShowsPoolState(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		keys := []string{"sk-aaaa-0123456789abcdef", "sk-bbbb-0123456789abcdef"}
		e := newStatsEnv(t, dialect, keys...)
		if err := e.pool.Disable(keys[1], 0); err != nil { // in memory only: the store still says active
			t.Fatal(err)
		}
		var out keyStatsAnswer
		_, body := e.get(t, "/admin/keys/stats?sort=key&order=desc&reveal=true", testAdminToken, &out)
		if out.Page != 1 || out.PerPage != 50 || out.Total != 2 || len(out.Keys) != 2 || out.Keys[0].APIKey != keys[1] ||
			out.Keys[0].Status != "disabled" || out.Keys[1].Status != "active" {
			t.Fatalf("keys page: %s", body)
		}
	})
}

func TestHourlyWindow(t *testing.T) {
	e := newStatsEnv(t, "sqlite")
	e.record(t, "m1", 3)
	now := time.Now().UTC()
	e.routes.now = func() time.Time { return now }
	for _, hours := range []int{24, 168, 720} {
		var out hourlyAnswer
		e.get(t, "/admin/stats/hourly?hours="+strconv.Itoa(hours), testAdminToken, &out)
		last := out.Series[len(out.Series)-1]
		if len(out.Series) != hours || out.Hours != hours || !last.Hour.Equal(now.Truncate(time.Hour)) || last.Requests != 3 ||
			!out.Series[0].Hour.Equal(now.Truncate(time.Hour).Add(-time.Duration(hours-1)*time.Hour)) {
			t.Errorf("hours=%d: %d points, first %v, last %+v", hours, len(out.Series), out.Series[0].Hour, last)
		}
	}
}

// 500 page views arriving during a cache miss cost one query set, counted
// at the store; all get the same answer.
func TestPublicStatsBurstIsOneQuerySet(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newStatsEnv(t, dialect, "sk-burst-0123456789abcdef")
		e.record(t, "m1", 7)
		e.reader.entered, e.reader.gate = make(chan struct{}), make(chan struct{})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go e.app.Listener(ln)
		t.Cleanup(func() {
			if err := e.app.ShutdownWithTimeout(10 * time.Second); err != nil {
				t.Errorf("shutdown of the test server: %v (a client connection left open?)", err)
			}
		})

		const n = 500
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: time.Minute}
		// A burst makes the transport dial connections it then never uses;
		// fasthttp's Shutdown waits for those until the client closes them.
		defer client.CloseIdleConnections()
		var done sync.WaitGroup
		bodies, statuses := make([]string, n), make([]int, n)
		for i := range n {
			done.Go(func() {
				resp, err := client.Get("http://" + ln.Addr().String() + "/admin/public-stats")
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				bodies[i], statuses[i] = string(b), resp.StatusCode
			})
		}
		<-e.reader.entered
		time.Sleep(300 * time.Millisecond) // let the rest of the burst pile up behind the load
		close(e.reader.gate)
		done.Wait()

		if g, m, h := e.reader.global.Load(), e.reader.models.Load(), e.reader.hourly.Load(); g != 1 || m != 1 || h != 1 {
			t.Fatalf("%d requests ran %d GlobalStats, %d TopModels, %d HourlySeries; want 1 each", n, g, m, h)
		}
		for i := range n {
			if statuses[i] != http.StatusOK || bodies[i] != bodies[0] || !strings.Contains(bodies[i], `"total_requests":7`) {
				t.Fatalf("request %d: %d %s (first: %s)", i, statuses[i], bodies[i], bodies[0])
			}
		}
	})
}
