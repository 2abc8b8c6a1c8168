package gateway_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/testkit/redistest"
	"github.com/keypool/keypool/migrations"
)

// Two instances on one PostgreSQL database, with Redis and without it
// (LISTEN/NOTIFY): a key that answers 401 through A is out of B's rotation
// within 2 s, keys imported and tokens created on one work on the other
// within 2 s, a provider switch reaches both, and the statistics of both
// add up exactly.
func TestTwoInstancesShareKeyStates(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	cases := []struct {
		name, bus string
		env       map[string]string
	}{
		{"redis", "redis", map[string]string{"REDIS_URL": redistest.URL(t)}},
		{"listen-notify", "postgres", map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DISABLE_OPENROUTER": "true", "STATS_FLUSH_INTERVAL": "100ms", "SYNC_INTERVAL": "0", "METRICS_TOKEN": metricsToken}
			for k, v := range tc.env {
				env[k] = v
			}
			e := newTestEnv(t, migrations.Postgres, env)
			keys := []string{"sk-peer-1-0123456789", "sk-peer-2-0123456789", "sk-peer-3-0123456789"}
			e.importKeys("ollama", keys...)
			token := e.createToken("ollama")
			b, _ := e.instance(t)
			for _, base := range []string{e.url, b} {
				eventually(t, 5*time.Second, "instance listening", func() bool {
					c := healthAt(t, base).Cluster
					return c.Bus == tc.bus && c.Listening
				})
			}

			// A meets the 401 and fails the key; B stops choosing it.
			e.fake.SetFault(keys[0], fakeupstream.Fault{Status: http.StatusUnauthorized})
			// Every chat request that gets a 200 is counted, so that the
			// statistics can be checked against it.
			sent := map[string]int{}
			tokenSent := map[string]int{}
			try := func(base, tok string) int {
				status, _, _ := from(t, base, testIP(), "POST", "/v1/chat/completions", tok, chatBody(false))
				if status == http.StatusOK {
					sent[base]++
					tokenSent[tok]++
				}
				return status
			}
			send := func(base string, n int) {
				t.Helper()
				for range n {
					if status := try(base, token); status != http.StatusOK {
						t.Fatalf("%s: %d", base, status)
					}
				}
			}
			for e.fake.Counts(keys[0]).Requests == 0 {
				send(e.url, 1)
			}
			start := time.Now()
			eventually(t, 2*time.Second, "B counts the key failed", func() bool { return healthAt(t, b).Providers["ollama"].Failed == 1 })
			t.Logf("%s: B knew of A's 401 after %v", tc.name, time.Since(start).Round(time.Millisecond))
			send(b, 30)
			if got := sample(scrapeMetricsAt(t, b), "keypool_cluster_messages_total", map[string]string{"direction": "received"}); got < 1 {
				t.Errorf("B's /metrics counts %v messages received", got)
			}
			if n := e.fake.Counts(keys[0]).Requests; n != 1 {
				t.Errorf("the failed key reached the upstream %d times, want only A's 1", n)
			}

			// An import and a token made through A work on B.
			fresh := "sk-peer-4-0123456789"
			e.importKeys("ollama", fresh)
			eventually(t, 2*time.Second, "B has the imported key", func() bool { return healthAt(t, b).Providers["ollama"].Total == 4 })
			second := e.createToken("ollama")
			eventually(t, 2*time.Second, "B accepts the new token", func() bool { return try(b, second) == http.StatusOK })

			// Switched off through A, the provider answers 503 (disabled by administrator) on B too.
			if status, body, _ := e.do("POST", "/admin/providers/ollama/disable", adminToken, nil); status != http.StatusOK {
				t.Fatalf("disable: %d %s", status, body)
			}
			eventually(t, 2*time.Second, "B's routes are off", func() bool { return try(b, token) == http.StatusServiceUnavailable })
			if status, body, _ := e.do("POST", "/admin/providers/ollama/enable", adminToken, nil); status != http.StatusOK {
				t.Fatalf("enable: %d %s", status, body)
			}
			eventually(t, 2*time.Second, "B's routes are on again", func() bool { return try(b, token) == http.StatusOK })
			send(e.url, 20)
			send(b, 20)

			// Both instances' statistics add up to what the clients sent
			// and the upstream saw.
			total := int64(sent[e.url] + sent[b])
			eventually(t, 5*time.Second, fmt.Sprintf("statistics of both stored (%d requests)", total), func() bool {
				return e.readTables(t, "ollama_api").Global.Total == total
			})
			time.Sleep(300 * time.Millisecond)
			tb := e.readTables(t, "ollama_api")
			if tb.Global.Total != total || tb.Global.Success != total {
				t.Errorf("global: %d requests, %d successes; clients sent %d", tb.Global.Total, tb.Global.Success, total)
			}
			for _, k := range append(keys, fresh) {
				up := e.fake.Counts(k).Requests
				if got := tb.Keys[k].Total; got != up {
					t.Errorf("key %s: %d requests stored, the upstream saw %d", k[:9], got, up)
				}
			}
			for _, tok := range []string{token, second} {
				if got, want := tb.Tokens[digestOf(tok)], int64(tokenSent[tok]); got != want {
					t.Errorf("token request_count %d, want %d", got, want)
				}
			}
		})
	}
}
