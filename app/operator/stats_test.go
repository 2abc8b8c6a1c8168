package operator

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/models"
)

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

// statsEnv is the actions of Ollama alone on a fresh database, its store
// reads counted.
type statsEnv struct {
	ops    *Service
	p      *backend.Provider
	reader *countingReader
}

func newStatsEnv(t *testing.T, dialect string, keys ...string) *statsEnv {
	t.Helper()
	db := storetest.Open(t, dialect)
	p, err := backend.New(t.Context(), backend.Config{}, provider.New(provider.Ollama, "http://upstream.invalid"), db)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]models.Key, len(keys))
	for i, k := range keys {
		rows[i] = models.Key{APIKey: k, Username: "user@example.com"}
	}
	if _, err := p.Store.InsertKeys(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
	if err := p.Pool.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := &statsEnv{ops: New(Config{}, map[string]*backend.Provider{provider.Ollama: p}, nil), p: p,
		reader: &countingReader{statsReader: p.Store}}
	e.ops.reader = func(*backend.Provider) statsReader { return e.reader }
	return e
}

// record writes n successful requests of model now.
func (e *statsEnv) record(t *testing.T, model string, n int64) {
	t.Helper()
	now := time.Now().UTC()
	b := &stats.Batch{Provider: provider.Ollama, Global: stats.Counter{Requests: n, Success: n},
		Models: map[string]*stats.ModelDelta{model: {Counter: stats.Counter{Requests: n, Success: n}, LastUsed: now}},
		Hourly: map[stats.HourKey]*stats.Counter{{Model: model, Hour: now.Truncate(time.Hour)}: {Requests: n, Success: n}}}
	if err := e.p.Store.WriteStats(t.Context(), b); err != nil {
		t.Fatal(err)
	}
}

// 500 viewers arriving during a miss of the public figures cost one query
// set, counted at the store; all get the same figures.
func TestPublicFiguresBurstIsOneQuerySet(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := newStatsEnv(t, dialect, "sk-burst-0123456789abcdef")
			e.record(t, "m1", 7)
			e.reader.entered, e.reader.gate = make(chan struct{}), make(chan struct{})
			const n = 500
			got := make([]*PublicFigures, n)
			var done sync.WaitGroup
			for i := range n {
				done.Go(func() {
					f, err := e.ops.PublicFigures(context.Background(), "")
					if err != nil {
						t.Error(err)
					}
					got[i] = f
				})
			}
			<-e.reader.entered
			time.Sleep(300 * time.Millisecond) // let the rest of the burst pile up behind the load
			close(e.reader.gate)
			done.Wait()
			// The set: totals, top models, the 24 hours, and the 24 hours of
			// each top model (one here) for the recent top models.
			if g, m, h := e.reader.global.Load(), e.reader.models.Load(), e.reader.hourly.Load(); g != 1 || m != 1 || h != 2 {
				t.Fatalf("%d viewers ran %d GlobalStats, %d TopModels, %d HourlySeries; want 1, 1, 2", n, g, m, h)
			}
			for i, f := range got {
				if f != got[0] || f == nil || f.TotalRequests != 7 || len(f.Hourly) != 24 ||
					len(f.RecentModels) != 1 || f.RecentModels[0].Requests != 7 {
					t.Fatalf("viewer %d: %+v (first: %+v)", i, f, got[0])
				}
			}
		})
	}
}

func TestHourlyWindowEndsWithTheCurrentHour(t *testing.T) {
	t.Parallel()
	e := newStatsEnv(t, "sqlite")
	e.record(t, "m1", 3)
	now := time.Now().UTC()
	e.ops.now = func() time.Time { return now }
	for _, hours := range []int{24, 168, 720} {
		series, err := e.ops.Hourly(t.Context(), "", hours, "")
		if err != nil {
			t.Fatal(err)
		}
		last := series[len(series)-1]
		if len(series) != hours || !last.Hour.Equal(now.Truncate(time.Hour)) || last.Requests != 3 ||
			!series[0].Hour.Equal(now.Truncate(time.Hour).Add(-time.Duration(hours-1)*time.Hour)) {
			t.Errorf("hours=%d: %d points, first %v, last %+v", hours, len(series), series[0].Hour, last)
		}
	}
	if _, err := e.ops.Hourly(t.Context(), "", 48, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("48 hours: %v, want Invalid", err)
	}
}

// Every action names its provider the same way: "" is Ollama, a provider
// DISABLE_* left out is NotFound, anything else is Invalid.
func TestProviderResolution(t *testing.T) {
	t.Parallel()
	e := newStatsEnv(t, "sqlite", "sk-only-0123456789abcdef")
	tests := []struct {
		id   string
		want error
	}{
		{"", nil}, {"ollama", nil}, {"openrouter", ErrNotFound}, {"bogus", ErrInvalid}, {"OLLAMA", ErrInvalid},
	}
	for _, tt := range tests {
		_, err := e.ops.Overview(t.Context(), tt.id)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Overview(%q): %v, want %v", tt.id, err, tt.want)
		}
		if _, err := e.ops.ListKeys(t.Context(), tt.id, KeyListQuery{}); tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("ListKeys(%q): %v, want %v", tt.id, err, tt.want)
		}
	}
}

func TestListKeysChecksItsQuery(t *testing.T) {
	t.Parallel()
	e := newStatsEnv(t, "sqlite", "sk-list-a-0123456789", "sk-list-b-0123456789")
	bad := []struct {
		q     KeyListQuery
		field string
	}{
		{KeyListQuery{Status: "sleeping"}, "status"},
		{KeyListQuery{Sort: "username"}, "sort"},
		{KeyListQuery{Order: "up"}, "order"},
		{KeyListQuery{Page: "0"}, "page"},
		{KeyListQuery{PerPage: "501"}, "per_page"},
		{KeyListQuery{PerPage: "many"}, "per_page"},
	}
	for _, tt := range bad {
		_, err := e.ops.ListKeys(t.Context(), "", tt.q)
		if oe, ok := AsError(err); !ok || oe.Kind != KindInvalid || oe.Field != tt.field {
			t.Errorf("%+v: %v, want Invalid on %s", tt.q, err, tt.field)
		}
	}
	list, err := e.ops.ListKeys(t.Context(), "", KeyListQuery{Search: "list-b", PerPage: "1"})
	if err != nil || list.Total != 1 || len(list.Keys) != 1 || list.Keys[0].APIKey == "sk-list-b-0123456789" {
		t.Errorf("search: %+v %v (want one match, masked)", list, err)
	}
}

// An import, an added key and a delete change the pool by what they
// change, without reading the key table back: a key stored behind the
// pool's back stays unseen until the periodic sync.
func TestKeyChangesReadNothingBack(t *testing.T) {
	t.Parallel()
	e := newStatsEnv(t, "sqlite", "sk-first-0123456789abcdef")
	if _, err := e.p.Store.InsertKeys(t.Context(), []models.Key{{APIKey: "sk-behind-0123456789abcdef", Status: models.StatusActive}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ops.ImportKeys(t.Context(), "", Import{ContentType: "text/plain", Body: []byte("sk-new-0123456789abcdef\nsk-first-0123456789abcdef")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ops.AddKey(t.Context(), "", NewKey{APIKey: "sk-one-more-0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ops.DeleteKeys(t.Context(), "", []string{"sk-first-0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"sk-new-0123456789abcdef": true, "sk-one-more-0123456789abcdef": true,
		"sk-first-0123456789abcdef": false, "sk-behind-0123456789abcdef": false} {
		if _, ok := e.p.Pool.Get(key); ok != want {
			t.Errorf("%s in the pool: %v, want %v", key, ok, want)
		}
	}
	if err := e.p.Pool.Load(t.Context()); err != nil { // the periodic sync
		t.Fatal(err)
	}
	if _, ok := e.p.Pool.Get("sk-behind-0123456789abcdef"); !ok || e.p.Pool.Len() != 3 {
		t.Errorf("after a sync: %d keys, want 3 with the one stored behind the pool's back", e.p.Pool.Len())
	}
}
