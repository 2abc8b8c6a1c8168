package web

import (
	"os"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkOverview measures the server time of the dashboard's pages on
// PostgreSQL (TEST_DATABASE_URL) with 100,000 keys loaded in the pool and
// 30 days × 100 models of hourly statistics: the whole overview, the 30-day
// chart fragment of the range switch (warm: older hours from memory; cold:
// all 720 hours summed by PostgreSQL, as once a minute), the settings
// page, the keys page (first page; HTMX fragments of a status filter,
// searches matching 11, 11,111 and every key, and the last of 2,000
// pages), the bulk
// upload and tokens pages. Requests go straight to the Fiber handler,
// without a network.
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench Overview -benchtime 200x ./app/web/
func BenchmarkOverview(b *testing.B) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("TEST_DATABASE_URL not set: the benchmark seeds PostgreSQL")
	}
	a := newTestApp(b, "postgres", testConfig())
	seedBench(b, a, 100_000, 100, 30*24)
	session := a.h.sessions.issue(time.Now())
	handler := a.app.Handler()
	for _, bm := range []struct {
		name, uri  string
		htmx, cold bool
	}{
		{"page", "/dashboard?provider=ollama", false, false},
		{"chart-30d", "/dashboard?provider=ollama&range=30d", true, false},
		{"chart-30d-cold", "/dashboard?provider=ollama&range=30d", true, true},
		{"settings", "/dashboard/settings", false, false},
		{"keys", "/dashboard/keys?provider=ollama", false, false},
		{"keys-failed", "/dashboard/keys?provider=ollama&status=failed", true, false},
		{"keys-search", "/dashboard/keys?provider=ollama&q=user4242", true, false},
		{"keys-search-11k", "/dashboard/keys?provider=ollama&q=user4", true, false},
		{"keys-search-all", "/dashboard/keys?provider=ollama&q=sk-bench", true, false},
		{"keys-last-page", "/dashboard/keys?provider=ollama&page=2000", true, false},
		{"import", "/dashboard/import?provider=ollama", false, false},
		{"tokens", "/dashboard/tokens?provider=ollama", false, false},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.SetRequestURI(bm.uri)
				ctx.Request.Header.SetCookie(sessionCookie, session)
				if bm.htmx {
					ctx.Request.Header.Set("HX-Request", "true")
				}
				if bm.cold {
					a.h.trend = newTrendSeries(a.h.deps.Stats, time.Minute)
				}
				handler(&ctx)
				if code := ctx.Response.StatusCode(); code != 200 {
					b.Fatalf("GET %s: %d %s", bm.uri, code, ctx.Response.Body())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

// seedBench fills ollama's tables with keys and hours of statistics for
// models, and loads the keys into the pool.
func seedBench(b *testing.B, a *testApp, keys, models, hours int) {
	b.Helper()
	start := time.Now()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO ollama_api_keys (api_key, username, status, created_at)
			SELECT 'sk-bench-' || lpad(i::text, 10, '0'), 'user' || i || '@example.com',
				CASE WHEN i % 10 = 0 THEN 'failed' WHEN i % 25 = 0 THEN 'disabled' ELSE 'active' END, NOW()
			FROM generate_series(1, $1) AS i`, []any{keys}},
		{`INSERT INTO ollama_api_model_hourly (provider, model, hour, requests, success, failure, prompt_tokens, completion_tokens)
			SELECT 'ollama', 'model-' || m, date_trunc('hour', NOW()) - make_interval(hours => h),
				100 + m, 95 + m, 5, 1000 * m, 300 * m
			FROM generate_series(1, $1) AS m, generate_series(0, $2 - 1) AS h`, []any{models, hours}},
		{`INSERT INTO ollama_api_model_stats (provider, model, total_requests, success_count, failure_count, last_used)
			SELECT 'ollama', model, SUM(requests), SUM(success), SUM(failure), MAX(hour)
			FROM ollama_api_model_hourly GROUP BY model`, nil},
		{`INSERT INTO ollama_api_global_stats (id, total_requests, success_count, failure_count)
			SELECT 'global', SUM(requests), SUM(success), SUM(failure) FROM ollama_api_model_hourly
			ON CONFLICT (id) DO UPDATE SET total_requests = excluded.total_requests,
				success_count = excluded.success_count, failure_count = excluded.failure_count`, nil},
		{`INSERT INTO ollama_api_key_stats (api_key, total_requests, success_count, failure_count, last_used)
			SELECT api_key, 100, 95, 5, NOW() - random() * interval '30 days' FROM ollama_api_keys`, nil},
		{`VACUUM ANALYZE`, nil}, // as autovacuum would: statistics, and GIN pending lists merged
	} {
		if _, err := a.db.SQL.ExecContext(b.Context(), q.sql, q.args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, q.sql)
		}
	}
	if err := a.providers["ollama"].Pool.Load(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d keys and %d hourly rows in %v", keys, models*hours, time.Since(start).Round(time.Millisecond))
}
