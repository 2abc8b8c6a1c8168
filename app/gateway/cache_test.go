package gateway_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/redistest"
	"github.com/keypool/keypool/migrations"
)

// cacheEnv turns the response cache on (in memory unless REDIS_URL is
// among extra).
func cacheEnv(extra map[string]string) map[string]string {
	env := map[string]string{"CACHE_TTL": "1m", "STATS_FLUSH_INTERVAL": "100ms", "METRICS_TOKEN": metricsToken}
	maps.Copy(env, extra)
	return env
}

// uniqueChat is a non-stream chat body that no other request sends, with
// extra fields set (nil values removed).
func uniqueChat(extra map[string]any) map[string]any {
	b := make([]byte, 6)
	rand.Read(b)
	body := map[string]any{"model": "gpt-oss:120b", "stream": false,
		"messages": []map[string]string{{"role": "user", "content": "cache me " + hex.EncodeToString(b)}}}
	for k, v := range extra {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	return body
}

// cachedChat posts body to base+path with the token and headers (name,
// value pairs), returning the status, the body and X-Cache.
func cachedChat(t testing.TB, base, path, token string, body any, header ...string) (int, []byte, string) {
	t.Helper()
	data, ok := body.([]byte)
	if !ok {
		var err error
		if data, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if vs := resp.Header.Values("X-Cache"); len(vs) > 1 {
		t.Errorf("POST %s: X-Cache sent %d times: %q", path, len(vs), vs)
	}
	return resp.StatusCode, out, resp.Header.Get("X-Cache")
}

// expectCache sends a request and checks its status and X-Cache.
func expectCache(t testing.TB, base, path, token string, body any, want string, header ...string) []byte {
	t.Helper()
	status, out, xc := cachedChat(t, base, path, token, body, header...)
	if status != http.StatusOK || xc != want {
		t.Fatalf("POST %s: %d X-Cache %q, want 200 %q: %.300s", path, status, xc, want, out)
	}
	return out
}

// A repeated request is a HIT with the first answer's bytes and reaches
// the upstream once; hits are in the metrics, not in the statistics.
func TestCacheRepeatedRequestIsHit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, cacheEnv(nil))
		e.importKeys("ollama", "sk-cache-hit-0123456789")
		token := e.createToken("ollama")
		body := uniqueChat(nil)

		first := expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
		status, second, xc := cachedChat(t, e.url, "/v1/chat/completions", token, body)
		if status != http.StatusOK || xc != "HIT" || !bytes.Equal(first, second) {
			t.Fatalf("repeat: %d X-Cache %q, same body %v", status, xc, bytes.Equal(first, second))
		}
		// /ollama/v1 is the same upstream route: the same entry.
		if third := expectCache(t, e.url, "/ollama/v1/chat/completions", token, body, "HIT"); !bytes.Equal(first, third) {
			t.Error("/ollama/v1 hit differs from the first answer")
		}
		if n := e.fake.Total().Requests; n != 1 {
			t.Errorf("the upstream saw %d requests, want 1", n)
		}
		resp := e.send("POST", "/v1/chat/completions", token, body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("a hit's Content-Type %q", ct)
		}

		// Hits reached no key: the statistics count the one upstream request.
		eventually(t, 5*time.Second, "the miss stored", func() bool { return e.readTables(t, "ollama_api").Global.Total == 1 })
		time.Sleep(300 * time.Millisecond)
		tb := e.readTables(t, "ollama_api")
		if tb.Global.Total != 1 || tb.Keys["sk-cache-hit-0123456789"].Total != 1 || tb.Tokens[digestOf(token)] != 1 {
			t.Errorf("statistics count hits: global %+v keys %+v tokens %v", tb.Global, tb.Keys, tb.Tokens)
		}
		fams := scrapeMetrics(t, e)
		if hits, misses := sample(fams, "keypool_cache_hits_total", nil), sample(fams, "keypool_cache_misses_total", nil); hits != 3 || misses != 1 {
			t.Errorf("metrics: %v hits, %v misses; want 3 and 1", hits, misses)
		}
		if n := sample(fams, "keypool_requests_total", map[string]string{"provider": "ollama", "status": "200"}); n != 1 {
			t.Errorf("keypool_requests_total %v, want 1 (hits are counted apart)", n)
		}
	})
}

// Streams, sampled requests (unless CACHE_ALL), non-chat routes and
// Ollama's native streams are not cached and get no X-Cache; native
// non-stream chat is.
func TestCacheWhatIsCached(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cacheAll bool
		path     string
		extra    map[string]any
		want     string // X-Cache of the repeat; "" none at all
	}{
		{"plain", false, "/v1/chat/completions", nil, "HIT"},
		{"stream", false, "/v1/chat/completions", map[string]any{"stream": true}, ""},
		{"stream absent", false, "/v1/chat/completions", map[string]any{"stream": nil}, "HIT"},
		{"temperature 0", false, "/v1/chat/completions", map[string]any{"temperature": 0}, "HIT"},
		{"temperature 0.7", false, "/v1/chat/completions", map[string]any{"temperature": 0.7}, ""},
		{"legacy completions", false, "/v1/completions", map[string]any{"prompt": "hi"}, ""},
		{"native chat", false, "/api/chat", nil, "HIT"},
		{"native chat streams by default", false, "/api/chat", map[string]any{"stream": nil}, ""},
		{"native options.temperature", false, "/ollama/api/chat", map[string]any{"options": map[string]any{"temperature": 0.9}}, ""},
		{"native generate", false, "/api/generate", map[string]any{"prompt": "hi"}, ""},
		{"CACHE_ALL temperature 0.7", true, "/v1/chat/completions", map[string]any{"temperature": 0.7}, "HIT"},
		{"CACHE_ALL native options.temperature", true, "/api/chat", map[string]any{"options": map[string]any{"temperature": 0.9}}, "HIT"},
		{"CACHE_ALL stream", true, "/v1/chat/completions", map[string]any{"stream": true}, ""},
	}
	for _, all := range []bool{false, true} {
		name := map[bool]string{false: "default", true: "CACHE_ALL"}[all]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := cacheEnv(map[string]string{"DISABLE_OPENROUTER": "true"})
			if all {
				env["CACHE_ALL"] = "true"
			}
			e := newTestEnv(t, "sqlite", env)
			e.importKeys("ollama", "sk-cache-what-0123456789")
			token := e.createToken("ollama")
			for _, tt := range tests {
				if tt.cacheAll != all {
					continue
				}
				t.Run(tt.name, func(t *testing.T) {
					body := uniqueChat(tt.extra)
					before := e.fake.Total().Requests
					first := "MISS"
					if tt.want == "" {
						first = ""
					}
					expectCache(t, e.url, tt.path, token, body, first)
					expectCache(t, e.url, tt.path, token, body, tt.want)
					upstream := map[bool]int64{true: 1, false: 2}[tt.want == "HIT"]
					if n := e.fake.Total().Requests - before; n != upstream {
						t.Errorf("the upstream saw %d requests, want %d", n, upstream)
					}
				})
			}
		})
	}
}

// Another model, other body bytes, another provider or another API is
// another entry.
func TestCacheKeyParts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", cacheEnv(nil))
	e.importKeys("ollama", "sk-cache-key-o-0123456789")
	e.importKeys("openrouter", "sk-cache-key-r-0123456789")
	ollama, openrouter := e.createToken("ollama"), e.createToken("openrouter")
	body := uniqueChat(nil)
	data, _ := json.Marshal(body)
	expectCache(t, e.url, "/v1/chat/completions", ollama, data, "MISS")
	expectCache(t, e.url, "/v1/chat/completions", ollama, data, "HIT")

	otherModel := maps.Clone(body)
	otherModel["model"] = "qwen3:8b"
	tests := []struct {
		name, path, token string
		body              any
	}{
		{"other model", "/v1/chat/completions", ollama, otherModel},
		{"other bytes, same JSON", "/v1/chat/completions", ollama, append([]byte(" "), data...)},
		{"other provider", "/openrouter/v1/chat/completions", openrouter, data},
		{"native API", "/api/chat", ollama, data},
	}
	for _, tt := range tests {
		before := e.fake.Total().Requests
		expectCache(t, e.url, tt.path, tt.token, tt.body, "MISS")
		if n := e.fake.Total().Requests - before; n != 1 {
			t.Errorf("%s: the upstream saw %d requests, want 1", tt.name, n)
		}
	}
}

// Cache-Control: no-cache skips the lookup but stores the answer;
// no-store skips both.
func TestCacheControlFromClient(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", cacheEnv(map[string]string{"DISABLE_OPENROUTER": "true"}))
	e.importKeys("ollama", "sk-cache-cc-0123456789")
	token := e.createToken("ollama")
	const path = "/v1/chat/completions"

	body := uniqueChat(nil)
	expectCache(t, e.url, path, token, body, "MISS")
	fresh := expectCache(t, e.url, path, token, body, "MISS", "Cache-Control", "no-cache")
	if again := expectCache(t, e.url, path, token, body, "HIT"); !bytes.Equal(again, fresh) {
		t.Error("the no-cache answer did not replace the cached one")
	}

	body = uniqueChat(nil)
	expectCache(t, e.url, path, token, body, "MISS", "Cache-Control", "max-age=0, No-Store")
	expectCache(t, e.url, path, token, body, "MISS")
	expectCache(t, e.url, path, token, body, "HIT")
	if n := e.fake.Total().Requests; n != 4 {
		t.Errorf("the upstream saw %d requests, want 4", n)
	}
}

// The client token and its limits are checked before a hit.
func TestCacheHitNeedsTokenAndLimits(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", cacheEnv(map[string]string{"DISABLE_OPENROUTER": "true"}))
	e.importKeys("ollama", "sk-cache-limit-0123456789")
	token := e.createLimitedToken("ollama", 2, 0)
	body := uniqueChat(nil)
	expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
	expectCache(t, e.url, "/v1/chat/completions", token, body, "HIT")
	if status, out, xc := cachedChat(t, e.url, "/v1/chat/completions", "sk-kp-not-a-token", body); status != http.StatusUnauthorized || xc != "" {
		t.Errorf("unknown token: %d X-Cache %q %s", status, xc, out)
	}
	if status, out, xc := cachedChat(t, e.url, "/v1/chat/completions", token, body); status != http.StatusTooManyRequests || xc != "" {
		t.Errorf("third request of an rpm-2 token: %d X-Cache %q %s", status, xc, out)
	}
}

// Without CACHE_TTL nothing is cached and no X-Cache is sent.
func TestCacheOffByDefault(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"DISABLE_OPENROUTER": "true"})
	e.importKeys("ollama", "sk-cache-off-0123456789")
	token := e.createToken("ollama")
	body := uniqueChat(nil)
	for range 2 {
		expectCache(t, e.url, "/v1/chat/completions", token, body, "")
	}
	if n := e.fake.Total().Requests; n != 2 {
		t.Errorf("the upstream saw %d requests, want 2", n)
	}
}

// cacheStatsJSON is GET /admin/cache/stats.
type cacheStatsJSON struct {
	Enabled                      bool
	Entries, Hits, Misses, Bytes int64
}

// cacheStats reads a base's /admin/cache/stats for a provider.
func cacheStats(t testing.TB, base, provider string) cacheStatsJSON {
	t.Helper()
	status, body, _ := from(t, base, "", "GET", "/admin/cache/stats?provider="+provider, adminToken, nil)
	var s cacheStatsJSON
	if status != http.StatusOK || json.Unmarshal(body, &s) != nil {
		t.Fatalf("cache stats: %d %s", status, body)
	}
	return s
}

// clearCache clears a base's cache for a provider, returning how many
// answers it removed.
func clearCache(t testing.TB, base, provider string) int {
	t.Helper()
	status, body, _ := from(t, base, "", "POST", "/admin/cache/clear?provider="+provider, adminToken, nil)
	var out struct{ Cleared *int }
	if status != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Cleared == nil {
		t.Fatalf("cache clear: %d %s", status, body)
	}
	return *out.Cleared
}

// /admin/cache/stats counts what happened; clear empties the cache, and
// the next request goes upstream again.
func TestCacheAdminStatsAndClear(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", cacheEnv(nil))
	e.importKeys("ollama", "sk-cache-admin-0123456789")
	token := e.createToken("ollama")
	body := uniqueChat(nil)
	answer := expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
	expectCache(t, e.url, "/v1/chat/completions", token, body, "HIT")
	expectCache(t, e.url, "/v1/chat/completions", token, body, "HIT")

	want := cacheStatsJSON{Enabled: true, Entries: 1, Hits: 2, Misses: 1, Bytes: int64(len("application/json") + 1 + len(answer))}
	if s := cacheStats(t, e.url, "ollama"); s != want {
		t.Errorf("ollama stats %+v, want %+v", s, want)
	}
	if s := cacheStats(t, e.url, "openrouter"); s != (cacheStatsJSON{Enabled: true}) {
		t.Errorf("openrouter stats %+v, want empty", s)
	}
	if n := clearCache(t, e.url, "openrouter"); n != 0 {
		t.Errorf("clearing openrouter removed %d", n)
	}
	if n := clearCache(t, e.url, "ollama"); n != 1 {
		t.Errorf("clear removed %d, want 1", n)
	}
	if s := cacheStats(t, e.url, "ollama"); s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("after clear: %+v", s)
	}
	expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
	if n := e.fake.Total().Requests; n != 2 {
		t.Errorf("the upstream saw %d requests, want 2", n)
	}
}

// On Redis two instances share answers and figures, and a clear on one
// empties the cache of both.
func TestCacheSharedThroughRedis(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	srv := redistest.Start(t) // a Redis of its own: its figures and clears are the test's only
	e := newTestEnv(t, migrations.Postgres, cacheEnv(map[string]string{"REDIS_URL": srv.URL(), "DISABLE_OPENROUTER": "true"}))
	e.importKeys("ollama", "sk-cache-shared-0123456789")
	token := e.createToken("ollama")
	second, _ := e.instance(t)
	body := uniqueChat(nil)

	first := expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
	if hit := expectCache(t, second, "/v1/chat/completions", token, body, "HIT"); !bytes.Equal(first, hit) {
		t.Error("the second instance's hit differs from the first's answer")
	}
	if n := e.fake.Total().Requests; n != 1 {
		t.Errorf("the upstream saw %d requests, want 1", n)
	}
	want := cacheStatsJSON{Enabled: true, Entries: 1, Hits: 1, Misses: 1, Bytes: int64(len("application/json") + 1 + len(first))}
	for _, base := range []string{e.url, second} {
		if s := cacheStats(t, base, "ollama"); s != want {
			t.Errorf("%s: stats %+v, want %+v", base, s, want)
		}
	}
	if n := clearCache(t, second, "ollama"); n != 1 {
		t.Errorf("clear removed %d, want 1", n)
	}
	expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
	if n := e.fake.Total().Requests; n != 2 {
		t.Errorf("the upstream saw %d requests, want 2", n)
	}
}

// Without Redis each instance keeps its own answers in memory, and a clear
// on one reaches the other through LISTEN/NOTIFY.
func TestCacheClearReachesOtherInstances(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	e := newTestEnv(t, migrations.Postgres, cacheEnv(map[string]string{"DISABLE_OPENROUTER": "true", "SYNC_INTERVAL": "0"}))
	e.importKeys("ollama", "sk-cache-peers-0123456789")
	token := e.createToken("ollama")
	second, _ := e.instance(t)
	for _, base := range []string{e.url, second} {
		eventually(t, 5*time.Second, "instance listening", func() bool { return healthAt(t, base).Cluster.Listening })
	}
	body := uniqueChat(nil)
	for _, base := range []string{e.url, second} {
		expectCache(t, base, "/v1/chat/completions", token, body, "MISS") // each its own memory
		expectCache(t, base, "/v1/chat/completions", token, body, "HIT")
	}
	if n := clearCache(t, e.url, "ollama"); n != 1 {
		t.Errorf("clear removed %d, want 1", n)
	}
	eventually(t, 2*time.Second, "the second instance's cache is empty", func() bool {
		return cacheStats(t, second, "ollama").Entries == 0
	})
	expectCache(t, second, "/v1/chat/completions", token, body, "MISS")
}

// Redis going away fails no request: they are misses that go upstream,
// the outage is logged once, and the cache works again when Redis is back.
func TestCacheRedisGone(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	e := newTestEnv(t, "sqlite", cacheEnv(map[string]string{"REDIS_URL": srv.URL(), "DISABLE_OPENROUTER": "true"}))
	e.importKeys("ollama", "sk-cache-gone-0123456789")
	token := e.createToken("ollama")
	body := uniqueChat(nil)
	expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
	expectCache(t, e.url, "/v1/chat/completions", token, body, "HIT")

	srv.Stop()
	for range 10 {
		expectCache(t, e.url, "/v1/chat/completions", token, body, "MISS")
	}
	if n := e.fake.Total().Requests; n != 11 {
		t.Errorf("the upstream saw %d requests, want 11", n)
	}
	if n := strings.Count(e.logs.String(), "response cache: redis unreachable"); n != 1 {
		t.Errorf("%d warnings about the outage, want 1", n)
	}
	if status, out, _ := from(t, e.url, "", "GET", "/admin/cache/stats", adminToken, nil); status != http.StatusServiceUnavailable {
		t.Errorf("stats while redis is down: %d %s", status, out)
	}

	srv.Restart()
	eventually(t, 10*time.Second, "hits again once redis is back", func() bool {
		_, _, xc := cachedChat(t, e.url, "/v1/chat/completions", token, body)
		return xc == "HIT"
	})
}
