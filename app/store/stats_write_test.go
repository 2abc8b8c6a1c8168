package store_test

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

var hour0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func keyBatch(key string, d stats.KeyDelta) *stats.Batch {
	return &stats.Batch{Provider: "ollama", Keys: map[string]*stats.KeyDelta{key: &d},
		Models: map[string]*stats.ModelDelta{}, Hourly: map[stats.HourKey]*stats.Counter{}, Tokens: map[string]*stats.TokenDelta{}}
}

type keyStatsRow struct {
	Total, Success, Failure, Consecutive int64
	Rate                                 float64
	LastUsed, LastSuccess, LastFailure   *time.Time
}

func readKeyStats(t *testing.T, db *store.DB, key string) keyStatsRow {
	t.Helper()
	var r keyStatsRow
	err := db.Gorm.Raw(`SELECT total_requests, success_count, failure_count, consecutive_failures, success_rate, last_used, last_success, last_failure
		FROM ollama_api_key_stats WHERE api_key = ?`, key).Row().Scan(&r.Total, &r.Success, &r.Failure, &r.Consecutive, &r.Rate, &r.LastUsed, &r.LastSuccess, &r.LastFailure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Batches add up; consecutive_failures and the last_* times follow the
// order of events across batches.
func TestWriteStatsKeyRows(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		s := store.New(db, "ollama_api")
		if _, err := s.InsertKeys(ctx, []models.Key{{APIKey: "k1", CreatedAt: hour0}}); err != nil {
			t.Fatal(err)
		}
		t1, t2, t3 := hour0.Add(time.Minute), hour0.Add(2*time.Minute), hour0.Add(3*time.Minute)
		steps := []struct {
			d    stats.KeyDelta
			want keyStatsRow
		}{
			{stats.KeyDelta{Counter: stats.Counter{Requests: 3, Failure: 3}, LastUsed: t1, LastFailure: t1, Trailing: 3},
				keyStatsRow{Total: 3, Failure: 3, Consecutive: 3, Rate: 0}},
			{stats.KeyDelta{Counter: stats.Counter{Requests: 2, Failure: 2}, LastUsed: t2, LastFailure: t2, Trailing: 2},
				keyStatsRow{Total: 5, Failure: 5, Consecutive: 5, Rate: 0}},
			{stats.KeyDelta{Counter: stats.Counter{Requests: 3, Success: 2, Failure: 1}, LastUsed: t3, LastSuccess: t3, LastFailure: t1, SawSuccess: true, Trailing: 1},
				keyStatsRow{Total: 8, Success: 2, Failure: 6, Consecutive: 1, Rate: 25}},
		}
		for i, st := range steps {
			if err := s.WriteStats(ctx, keyBatch("k1", st.d)); err != nil {
				t.Fatal(err)
			}
			got := readKeyStats(t, db, "k1")
			if got.Total != st.want.Total || got.Success != st.want.Success || got.Failure != st.want.Failure ||
				got.Consecutive != st.want.Consecutive || got.Rate != st.want.Rate {
				t.Errorf("step %d: %+v, want %+v", i, got, st.want)
			}
		}
		got := readKeyStats(t, db, "k1")
		if !got.LastUsed.Equal(t3) || !got.LastSuccess.Equal(t3) || !got.LastFailure.Equal(t2) {
			t.Errorf("times: used %v success %v failure %v", got.LastUsed, got.LastSuccess, got.LastFailure)
		}
		// A key deleted before its figures are written is skipped, and the
		// rest of the batch is still written.
		b := keyBatch("gone", stats.KeyDelta{Counter: stats.Counter{Requests: 1, Success: 1}, SawSuccess: true})
		b.Global = stats.Counter{Requests: 1, Success: 1}
		if err := s.WriteStats(ctx, b); err != nil {
			t.Fatalf("a deleted key failed the batch: %v", err)
		}
		var total int64
		db.Gorm.Raw(`SELECT total_requests FROM ollama_api_global_stats WHERE id = 'global'`).Row().Scan(&total)
		if total != 1 {
			t.Errorf("global total %d", total)
		}
	})
}

func TestDeleteHourlyBefore(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		s := store.New(db, "ollama_api")
		b := &stats.Batch{Provider: "ollama", Keys: map[string]*stats.KeyDelta{}, Models: map[string]*stats.ModelDelta{},
			Hourly: map[stats.HourKey]*stats.Counter{}, Tokens: map[string]*stats.TokenDelta{}}
		for _, days := range []int{40, 31, 29, 1, 0} {
			b.Hourly[stats.HourKey{Model: "m", Hour: hour0.Add(-time.Duration(days) * 24 * time.Hour)}] = &stats.Counter{Requests: 1}
		}
		if err := s.WriteStats(ctx, b); err != nil {
			t.Fatal(err)
		}
		n, err := s.DeleteHourlyBefore(ctx, hour0.Add(-30*24*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("deleted %d, %v; want the 2 rows older than 30 days", n, err)
		}
		var left int64
		db.Gorm.Raw(`SELECT COUNT(*) FROM ollama_api_model_hourly`).Row().Scan(&left)
		if left != 3 {
			t.Fatalf("%d rows left, want 3", left)
		}
	})
}

// A written batch's id is recorded in its transaction; an id is written
// once.
func TestStatsApplied(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := testContext(t)
		s := store.New(db, "ollama_api")
		b := keyBatch("nokey", stats.KeyDelta{})
		b.ID, b.Global = "batch-1", stats.Counter{Requests: 1, Success: 1}
		if ok, err := s.StatsApplied(ctx, "batch-1"); ok || err != nil {
			t.Fatalf("before: %v %v", ok, err)
		}
		if err := s.WriteStats(ctx, b); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.StatsApplied(ctx, "batch-1"); !ok || err != nil {
			t.Fatalf("after: %v %v", ok, err)
		}
		if err := s.WriteStats(ctx, b); err == nil {
			t.Fatal("the same batch id was written twice")
		}
		var total int64
		db.Gorm.Raw(`SELECT total_requests FROM ollama_api_global_stats WHERE id = 'global'`).Row().Scan(&total)
		if total != 1 {
			t.Fatalf("global total %d after a refused second write, want 1", total)
		}
	})
}

// Writers adding to the same new keys at once create each row once and
// count every batch, on PostgreSQL by waiting on one another's inserts.
func TestWriteStatsConcurrent(t *testing.T) {
	t.Parallel()
	forEachDialect(t, checkConcurrent)
}

func checkConcurrent(t *testing.T, db *store.DB) {
	const writers, keys = 4, 1200
	s := store.New(db, "ollama_api")
	var names []string
	for i := range keys {
		names = append(names, fmt.Sprintf("conc-k%04d", i))
	}
	mustInsert(t, s, names...)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			b := &stats.Batch{Provider: "ollama", Keys: map[string]*stats.KeyDelta{}}
			for _, k := range names {
				b.Keys[k] = &stats.KeyDelta{Counter: stats.Counter{Requests: 1, Failure: 1}, LastUsed: at(w), LastFailure: at(w), Trailing: 1}
			}
			errs <- s.WriteStats(testContext(t), b)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := keyRow{Counter: stats.Counter{Requests: writers, Failure: writers}, Consecutive: writers,
		LastUsed: at(writers - 1), LastFailure: at(writers - 1)}
	got := readKeyRows(t, db, "conc-")
	checkRows(t, "key", got, allSame(names, want))
}

// allSame returns a map of every name to v.
func allSame[V any](names []string, v V) map[string]V {
	m := make(map[string]V, len(names))
	for _, n := range names {
		m[n] = v
	}
	return m
}

// WriteStats through PgBouncer in transaction mode (?pgbouncer=true), where
// no statement may stay prepared on a server connection.
func TestWriteStatsPgBouncer(t *testing.T) {
	t.Parallel()
	upstream, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	bouncer := startPgBouncer(t, findPgBouncer(t), upstream)
	direct, _ := storetest.URL(t, migrations.Postgres)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = bouncer
	q := u.Query()
	q.Set("sslmode", "disable")
	q.Set("pgbouncer", "true")
	u.RawQuery = q.Encode()
	db := open(t, u.String())
	if _, err := migrations.Up(testContext(t), db.SQL, db.Dialect, []string{"ollama_api"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 501, 1200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) { checkChunks(t, db, n) })
	}
	t.Run("concurrent", func(t *testing.T) { checkConcurrent(t, db) })
}
