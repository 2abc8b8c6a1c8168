package web

import (
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/operator"
)

// BenchmarkPublicStats measures the server time of the public statistics
// on PostgreSQL (TEST_DATABASE_URL) with 100,000 keys in the pool and 30
// days × 100 models of hourly rows: the /stats page, its HTMX refresh and
// GET /admin/public-stats, warm (from the cache, as nearly every view is)
// and cold (every request loads the figures, as one view per
// PUBLIC_STATS_TTL does). Each must answer in under 10 ms.
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench PublicStats -benchtime 500x ./app/web/
func BenchmarkPublicStats(b *testing.B) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("TEST_DATABASE_URL not set: the benchmark seeds PostgreSQL")
	}
	a := newTestApp(b, "postgres", testConfig())
	seedBench(b, a, 100_000, 100, 30*24)
	warm, cold := a.app.Handler(), coldApp(b, a).Handler()
	for _, bm := range []struct {
		name, uri string
		htmx      bool
		handler   fasthttp.RequestHandler
	}{
		{"page", "/stats?provider=ollama", false, warm},
		{"refresh", "/stats?provider=ollama", true, warm},
		{"json", "/admin/public-stats?provider=ollama", false, warm},
		{"page-cold", "/stats?provider=ollama", false, cold},
		{"json-cold", "/admin/public-stats?provider=ollama", false, cold},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			var took []time.Duration
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.SetRequestURI(bm.uri)
				if bm.htmx {
					ctx.Request.Header.Set("HX-Request", "true")
				}
				start := time.Now()
				bm.handler(&ctx)
				took = append(took, time.Since(start))
				if code := ctx.Response.StatusCode(); code != 200 {
					b.Fatalf("GET %s: %d %s", bm.uri, code, ctx.Response.Body())
				}
			}
			slices.Sort(took)
			p50, p99 := took[len(took)/2], took[len(took)*99/100]
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			if p50 > 10*time.Millisecond {
				b.Errorf("GET %s: median %v, want under 10 ms", bm.uri, p50)
			}
		})
	}
}

// coldApp is a's pages and admin API with a public statistics cache that
// keeps nothing: every request loads the figures from the database.
func coldApp(b *testing.B, a *testApp) *fiber.App {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	ops := operator.New(operator.Config{PublicStatsTTL: time.Nanosecond}, a.providers, log)
	app := fiber.New()
	h, err := New(Deps{Config: a.h.deps.Config, Providers: a.providers, Stats: ops, DB: a.db, Log: log,
		Public: ops, Routes: func() []fiber.Route { return app.GetRoutes(true) }})
	if err != nil {
		b.Fatal(err)
	}
	admin.New(testAdminToken, ops, log).Routes(app)
	h.Routes(app)
	return app
}
