package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/migrations"
)

// The admin API's performance targets, reported by these benchmarks and
// not asserted (timing depends on the machine):
//
//	TEST_DATABASE_URL=… go test -run '^$' -bench 'Import100k|ListKeys100k' ./app/gateway/
//
// Import of 100,000 keys into PostgreSQL through POST /admin/api-keys/import
// in under 5 s, the pool serving them without restart; page 1 of 100,000
// keys with a status filter in under 20 ms.

const benchKeys = 100_000

// benchEnv starts a gateway on a fresh PostgreSQL database, or skips.
func benchEnv(b *testing.B) *testEnv {
	b.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("needs TEST_DATABASE_URL (the targets are PostgreSQL's)")
	}
	return newTestEnv(b, migrations.Postgres, map[string]string{"DISABLE_OPENROUTER": "true", "STATS_ENABLED": "false"})
}

// importBody is an import of n distinct keys.
func importBody(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"provider":"ollama","keys":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"sk-bench-%08d-0123456789abcdef"`, i)
	}
	sb.WriteString("]}")
	return []byte(sb.String())
}

// importAll imports n keys and checks that the pool has them.
func (e *testEnv) importAll(n int, body []byte) time.Duration {
	e.t.Helper()
	start := time.Now()
	status, resp, _ := e.do("POST", "/admin/api-keys/import", adminToken, body)
	took := time.Since(start)
	if status != http.StatusOK || !strings.Contains(string(resp), fmt.Sprintf(`"imported":%d,`, n)) {
		e.t.Fatalf("import: %d %.200s", status, resp)
	}
	if h := e.health().Providers["ollama"]; h.Total != n {
		e.t.Fatalf("pool after import: %+v, want %d keys", h, n)
	}
	return took
}

func BenchmarkImport100k(b *testing.B) {
	body := importBody(benchKeys)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := benchEnv(b)
		b.StartTimer()
		total += e.importAll(benchKeys, body)
		b.StopTimer()
		e.stop()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
	b.ReportMetric(float64(benchKeys)*float64(b.N)/total.Seconds(), "keys/s")
}

// BenchmarkListKeys100k times GET /admin/api-keys on 100,000 keys, a tenth
// of them failed and a hundredth disabled, as the server sees it (over
// loopback HTTP, so an upper bound of the server time).
func BenchmarkListKeys100k(b *testing.B) {
	e := benchEnv(b)
	e.importAll(benchKeys, importBody(benchKeys))
	e.stop()
	execSQL(b, e.cfg.DatabaseURL,
		`UPDATE ollama_api_keys SET status = 'failed', failed_until = NOW() + INTERVAL '1 day'
		 WHERE api_key LIKE 'sk-bench-%1-0123456789abcdef'`,
		`UPDATE ollama_api_keys SET status = 'disabled' WHERE api_key LIKE 'sk-bench-%00-0123456789abcdef'`,
		`ANALYZE ollama_api_keys`) // autovacuum's job after a bulk load; done at once here
	e.start()
	for _, query := range []string{
		"status=active", "status=failed", "status=disabled", "status=failed&page=100", "",
		"sort=status", "status=active&per_page=500", "q=0004242", "sort=requests", "status=cooling_down",
	} {
		b.Run(strings.ReplaceAll(query, "&", ","), func(b *testing.B) {
			path := "/admin/api-keys?" + query
			for b.Loop() {
				if status, body, _ := e.do("GET", path, adminToken, nil); status != http.StatusOK {
					b.Fatalf("%s: %d %s", path, status, body)
				}
			}
		})
	}
}
