package store_test

import (
	"fmt"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// base is a fixed UTC hour the fixtures are placed around.
var base = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func hoursAgo(n int) time.Time { return base.Add(-time.Duration(n) * time.Hour) }

// mustWrite writes a batch or fails the test.
func mustWrite(t *testing.T, s *store.Store, b *stats.Batch) {
	t.Helper()
	if err := s.WriteStats(testContext(t), b); err != nil {
		t.Fatal(err)
	}
}

func TestGlobalStatsAndTopModels(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s, ctx := store.New(db, "ollama_api"), testContext(t)
		if g, err := s.GlobalStats(ctx); err != nil || g.TotalRequests != 0 || g.SuccessRate != 0 {
			t.Fatalf("empty GlobalStats = %+v, %v", g, err)
		}
		if m, err := s.TopModels(ctx, 10); err != nil || m == nil || len(m) != 0 {
			t.Fatalf("empty TopModels = %#v, %v; want []", m, err)
		}
		batch := func(last time.Time) *stats.Batch {
			return &stats.Batch{Provider: "ollama",
				Global: stats.Counter{Requests: 3, Success: 2, Failure: 1, PromptTokens: 30, CompletionTokens: 12, LatencyMs: 301},
				Models: map[string]*stats.ModelDelta{
					"gpt-oss:120b": {Counter: stats.Counter{Requests: 2, Success: 2, PromptTokens: 20, CompletionTokens: 8, LatencyMs: 201}, LastUsed: last},
					"gpt-oss:20b":  {Counter: stats.Counter{Requests: 1, Failure: 1, PromptTokens: 10, CompletionTokens: 4, LatencyMs: 100}, LastUsed: hoursAgo(5)},
					"qwen3":        {Counter: stats.Counter{Requests: 1, Success: 1}, LastUsed: hoursAgo(9)},
				}}
		}
		mustWrite(t, s, batch(hoursAgo(1)))
		mustWrite(t, s, batch(base)) // additive, last_used moves on
		// Another provider's tables stay out of it.
		mustWrite(t, store.New(db, "openrouter_api"), batch(base))

		g, err := s.GlobalStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := store.Usage{TotalRequests: 6, SuccessCount: 4, FailureCount: 2, SuccessRate: 66.67, PromptTokens: 60,
			CompletionTokens: 24, AvgLatencyMs: 100.33, LatencyMsSum: 602}
		if g.Usage != want || g.UpdatedAt == nil || g.UpdatedAt.Location() != time.UTC {
			t.Fatalf("GlobalStats = %+v (updated %v), want %+v", g.Usage, g.UpdatedAt, want)
		}

		rows, err := s.TopModels(ctx, 10)
		one, err1 := s.TopModels(ctx, 1)
		if err != nil || err1 != nil || len(rows) != 3 || len(one) != 1 || one[0].Model != "gpt-oss:120b" ||
			rows[0].Model != "gpt-oss:120b" || rows[1].Model != "gpt-oss:20b" || rows[2].Model != "qwen3" { // a tie: by name
			t.Fatalf("TopModels: %+v %v / %+v %v", rows, err, one, err1)
		}
		top := rows[0]
		wantTop := store.Usage{TotalRequests: 4, SuccessCount: 4, SuccessRate: 100, PromptTokens: 40, CompletionTokens: 16, AvgLatencyMs: 100.5, LatencyMsSum: 402}
		if top.Usage != wantTop || top.LastUsed == nil || !top.LastUsed.Equal(base) || top.LastUsed.Location() != time.UTC {
			t.Errorf("top model = %+v last_used %v, want %+v at %v", top.Usage, top.LastUsed, wantTop, base)
		}
		if r := rows[1]; r.SuccessRate != 0 || r.FailureCount != 2 || !r.LastUsed.Equal(hoursAgo(5)) {
			t.Errorf("failing model = %+v last_used %v", r.Usage, r.LastUsed)
		}
	})
}

func TestHourlySeries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s := store.New(db, "ollama_api")
		c := func(req, ok, fail, prompt, completion int64) *stats.Counter {
			return &stats.Counter{Requests: req, Success: ok, Failure: fail, PromptTokens: prompt, CompletionTokens: completion}
		}
		mustWrite(t, s, &stats.Batch{Provider: "ollama", Hourly: map[stats.HourKey]*stats.Counter{
			{Model: "a", Hour: hoursAgo(1)}:  c(5, 4, 1, 50, 20),
			{Model: "b", Hour: hoursAgo(1)}:  c(2, 2, 0, 7, 3),
			{Model: "a", Hour: hoursAgo(3)}:  c(1, 0, 1, 0, 0),
			{Model: "a", Hour: hoursAgo(30)}: c(9, 9, 0, 9, 9), // before every window below
			{Model: "a", Hour: base}:         c(4, 4, 0, 4, 4), // the window's end: excluded
		}})
		point := func(hour time.Time, req, ok, fail, prompt, completion int64) store.HourPoint {
			return store.HourPoint{Hour: hour, Requests: req, Success: ok, Failure: fail, PromptTokens: prompt, CompletionTokens: completion}
		}
		tests := []struct {
			name     string
			from, to time.Time
			model    string
			want     map[int]store.HourPoint // by index; every other hour is zero
			n        int
		}{
			{"all models", hoursAgo(24), base, "", map[int]store.HourPoint{
				23: point(hoursAgo(1), 7, 6, 1, 57, 23), 21: point(hoursAgo(3), 1, 0, 1, 0, 0)}, 24},
			{"one model", hoursAgo(24), base, "b", map[int]store.HourPoint{23: point(hoursAgo(1), 2, 2, 0, 7, 3)}, 24},
			{"unknown model", hoursAgo(24), base, "nope", nil, 24},
			{"unaligned bounds are truncated", hoursAgo(4).Add(25 * time.Minute), base.Add(59 * time.Minute), "a", map[int]store.HourPoint{
				1: point(hoursAgo(3), 1, 0, 1, 0, 0), 3: point(hoursAgo(1), 5, 4, 1, 50, 20)}, 4},
			{"to's hour is excluded", hoursAgo(1), base.Add(time.Hour), "a", map[int]store.HourPoint{
				0: point(hoursAgo(1), 5, 4, 1, 50, 20), 1: point(base, 4, 4, 0, 4, 4)}, 2},
			{"other zone", hoursAgo(2).In(time.FixedZone("x", 5*3600)), base, "", map[int]store.HourPoint{1: point(hoursAgo(1), 7, 6, 1, 57, 23)}, 2},
			{"empty window", base, base, "", nil, 0},
			{"reversed window", base, hoursAgo(2), "", nil, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.HourlySeries(testContext(t), tt.from, tt.to, tt.model)
				if err != nil {
					t.Fatal(err)
				}
				if got == nil || len(got) != tt.n {
					t.Fatalf("%d points (%v), want %d", len(got), got == nil, tt.n)
				}
				first := tt.from.UTC().Truncate(time.Hour)
				for i, p := range got {
					want, ok := tt.want[i]
					if !ok {
						want = store.HourPoint{Hour: first.Add(time.Duration(i) * time.Hour)}
					}
					if p != want || p.Hour.Location() != time.UTC {
						t.Errorf("point %d = %+v, want %+v", i, p, want)
					}
				}
			})
		}
	})
}

func TestKeyStatsPage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s, ctx := store.New(db, "ollama_api"), testContext(t)
		d := func(req, ok, fail int64, last time.Time, trailing int) *stats.KeyDelta {
			k := &stats.KeyDelta{Counter: stats.Counter{Requests: req, Success: ok, Failure: fail, PromptTokens: 3 * ok,
				CompletionTokens: ok, LatencyMs: 100 * req}, LastUsed: last, Trailing: trailing}
			if ok > 0 {
				k.LastSuccess, k.SawSuccess = last.Add(-time.Minute), true
			}
			if fail > 0 {
				k.LastFailure = last
			}
			return k
		}
		b := &stats.Batch{Provider: "ollama", Keys: map[string]*stats.KeyDelta{"key-alpha": d(10, 9, 1, hoursAgo(1), 0),
			"key-bravo": d(4, 1, 3, base, 2), "key-charlie": d(4, 4, 0, hoursAgo(2), 0), "key-echo": d(1, 0, 1, base.Add(-30*time.Minute), 1)}}
		keys := []models.Key{{APIKey: "key-alpha"}, {APIKey: "key-bravo", Status: "failed"}, {APIKey: "key-charlie"},
			{APIKey: "key-delta", Status: "disabled"}, {APIKey: "key-echo"}} // delta: never used
		if _, err := s.InsertKeys(ctx, keys); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, s, b)

		tests := []struct {
			sort          string
			desc          bool
			limit, offset int
			want          []string // key names without the "key-" prefix
		}{
			{"requests", true, 50, 0, []string{"alpha", "bravo", "charlie", "echo", "delta"}},
			{"requests", false, 50, 0, []string{"delta", "echo", "bravo", "charlie", "alpha"}},
			{"success_rate", true, 50, 0, []string{"charlie", "alpha", "bravo", "delta", "echo"}},
			{"success_rate", false, 50, 0, []string{"delta", "echo", "bravo", "alpha", "charlie"}},
			{"failures", true, 50, 0, []string{"bravo", "alpha", "echo", "charlie", "delta"}},
			{"last_used", true, 50, 0, []string{"bravo", "echo", "alpha", "charlie", "delta"}},
			{"last_used", false, 50, 0, []string{"delta", "charlie", "alpha", "echo", "bravo"}},
			{"key", false, 50, 0, []string{"alpha", "bravo", "charlie", "delta", "echo"}},
			{"key", true, 50, 0, []string{"echo", "delta", "charlie", "bravo", "alpha"}},
			{"requests", true, 2, 0, []string{"alpha", "bravo"}},
			{"requests", true, 2, 2, []string{"charlie", "echo"}},
			{"requests", true, 2, 4, []string{"delta"}},
			{"requests", true, 2, 6, nil},
		}
		for _, tt := range tests {
			rows, total, err := s.KeyStatsPage(ctx, store.KeyStatsQuery{Sort: tt.sort, Desc: tt.desc, Limit: tt.limit, Offset: tt.offset})
			got := []string{}
			for _, r := range rows {
				got = append(got, r.APIKey[len("key-"):])
			}
			if err != nil || total != 5 || !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Errorf("sort %s desc=%v limit %d offset %d: %v (total %d, %v), want %v", tt.sort, tt.desc, tt.limit, tt.offset, got, total, err, tt.want)
			}
		}

		rows, _, err := s.KeyStatsPage(ctx, store.KeyStatsQuery{Sort: "key", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		bravo, delta := rows[1], rows[3]
		wantBravo := store.Usage{TotalRequests: 4, SuccessCount: 1, FailureCount: 3, SuccessRate: 25, PromptTokens: 3, CompletionTokens: 1, AvgLatencyMs: 100, LatencyMsSum: 400}
		if bravo.Usage != wantBravo || bravo.Status != "failed" || bravo.ConsecutiveFailures != 2 ||
			!bravo.LastUsed.Equal(base) || !bravo.LastFailure.Equal(base) || !bravo.LastSuccess.Equal(base.Add(-time.Minute)) ||
			bravo.LastUsed.Location() != time.UTC {
			t.Errorf("bravo = %+v (used %v success %v failure %v)", bravo, bravo.LastUsed, bravo.LastSuccess, bravo.LastFailure)
		}
		if delta.Usage != (store.Usage{}) || delta.Status != "disabled" || delta.LastUsed != nil || delta.LastSuccess != nil ||
			delta.LastFailure != nil || delta.ConsecutiveFailures != 0 {
			t.Errorf("never-used key = %+v", delta)
		}
		if rows[0].SuccessRate != 90 || rows[4].LastSuccess != nil || rows[2].LastFailure != nil {
			t.Errorf("alpha rate %v, echo last_success %v, charlie last_failure %v", rows[0].SuccessRate, rows[4].LastSuccess, rows[2].LastFailure)
		}

		if _, _, err := s.KeyStatsPage(ctx, store.KeyStatsQuery{Sort: "username", Limit: 1}); err == nil ||
			store.ValidKeySort("username") || store.ValidKeySort("") || !store.ValidKeySort("success_rate") {
			t.Error("unknown sort accepted")
		}
	})
}

// The admin page must stay fast with 100,000 keys, most of them used.
func TestKeyStatsPageLarge(t *testing.T) {
	if bi, _ := debug.ReadBuildInfo(); testing.Short() || bi != nil && slices.Contains(bi.Settings, debug.BuildSetting{Key: "-race", Value: "true"}) {
		t.Skip("100,000 keys, timed: not with -short or -race (its SQLite runs some 25 times slower)")
	}
	const n = 100_000
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		s, ctx := store.New(db, "ollama_api"), testContext(t)
		// Made in SQL (GORM's inserts take a minute under -race). Nine keys in
		// ten used, with figures spread by the key's number.
		for _, q := range []string{`INSERT INTO ollama_api_keys (api_key) WITH RECURSIVE seq(n) AS
				(SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ` + fmt.Sprint(n-1) + `) SELECT 'sk-large-' || n FROM seq`,
			`INSERT INTO ollama_api_key_stats (api_key, total_requests, success_count, failure_count, last_used)
				SELECT api_key, n % 997, (n % 997) / 2, (n % 997) - (n % 997) / 2, CURRENT_TIMESTAMP FROM
				(SELECT api_key, CAST(SUBSTR(api_key, 10) AS INTEGER) AS n FROM ollama_api_keys) k WHERE n % 10 <> 0`} {
			if err := db.Gorm.WithContext(ctx).Exec(q).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, sort := range []string{"requests", "success_rate", "failures", "last_used", "key"} {
			for _, page := range []int{0, 1000} {
				start := time.Now()
				rows, total, err := s.KeyStatsPage(ctx, store.KeyStatsQuery{Sort: sort, Desc: true, Limit: 50, Offset: page * 50})
				took := time.Since(start)
				t.Logf("%s: sort %s, offset %d: %v", db.Dialect, sort, page*50, took)
				if err != nil || total != n || len(rows) != 50 || took > 3*time.Second {
					t.Errorf("sort %s offset %d: %d rows of %d in %v, %v", sort, page*50, len(rows), total, took, err)
				}
			}
		}
	})
}
