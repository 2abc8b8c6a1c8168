package gateway_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/redistest"
	"github.com/keypool/keypool/migrations"
)

// ipLimitEnv is the IP limit of the issue: 60 requests a minute, with the
// test's loopback trusted as a proxy so that each test names its own client
// address in X-Forwarded-For (tests share one Redis).
func ipLimitEnv(extra map[string]string) map[string]string {
	env := map[string]string{"ENABLE_RATE_LIMIT": "true", "RATE_LIMIT_REQUESTS": "60", "RATE_LIMIT_WINDOW": "60",
		"TRUSTED_PROXIES": "127.0.0.1/32", "DISABLE_OPENROUTER": "true"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// testIP returns a client address of the documentation range, random so
// that no other test, nor an earlier run's counters left in a shared
// Redis, counts against it.
func testIP() string {
	var b [8]byte
	rand.Read(b[:])
	a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], 0, 0, 0, 1})
	return a.String()
}

// from sends a request to base as if from client address ip (through a
// trusted proxy), returning status, body and headers.
func from(t testing.TB, base, ip, method, path, token string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data, resp.Header
}

// awayFromWindowEdge waits, when a minute boundary is under 5 s away, until
// it has passed: a burst that straddles it is judged by the sliding
// estimate, which forgives a little as the previous minute's weight decays.
func awayFromWindowEdge(t testing.TB) {
	t.Helper()
	if left := time.Minute - time.Duration(time.Now().UnixNano()%int64(time.Minute)); left < 5*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
}

// checkLimited asserts a 429 from Keypool's own limit, in the route's shape.
func checkLimited(t testing.TB, status int, body []byte, h http.Header, native bool) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Fatalf("over the limit: %d %s", status, body)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 120 { // at most two windows
		t.Errorf("Retry-After %q", h.Get("Retry-After"))
	}
	if h.Get("X-RateLimit-Limit") == "" || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Reset") == "" {
		t.Errorf("rate-limit headers: %v", h)
	}
	if native {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			t.Errorf("native error shape: %s", body)
		}
		return
	}
	var e struct {
		Error struct{ Message, Type, Code string }
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Type != "rate_limit_error" || e.Error.Code != "rate_limited" || e.Error.Message == "" {
		t.Errorf("OpenAI error shape: %s", body)
	}
}

// sendUnderLimit sends n allowed chat requests from ip, alternating over
// the bases, and checks their X-RateLimit headers count down.
func sendUnderLimit(t testing.TB, bases []string, ip, token string, n int) {
	t.Helper()
	for i := range n {
		status, body, h := from(t, bases[i%len(bases)], ip, "POST", "/v1/chat/completions", token, chatBody(false))
		if status != http.StatusOK {
			t.Fatalf("request %d of %d: %d %s", i+1, n, status, body)
		}
		if h.Get("X-RateLimit-Limit") != "60" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(59-i) {
			t.Fatalf("request %d: X-RateLimit-Limit %q Remaining %q", i+1, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"))
		}
	}
}

// Two instances on one PostgreSQL and one Redis share the client limit:
// the 61st request gets 429 on either, and reaches no key.
func TestIPLimitAcrossInstancesWithRedis(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	e := newTestEnv(t, migrations.Postgres, ipLimitEnv(map[string]string{"REDIS_URL": redistest.URL(t)}))
	e.importKeys("ollama", "sk-limit-1-0123456789", "sk-limit-2-0123456789")
	token := e.createToken("ollama")
	second, _ := e.instance(t) // loads the keys and the token at its start
	bases := []string{e.url, second}
	ip := testIP()
	awayFromWindowEdge(t)
	sendUnderLimit(t, bases, ip, token, 60)
	for _, base := range bases {
		status, body, h := from(t, base, ip, "POST", "/v1/chat/completions", token, chatBody(false))
		checkLimited(t, status, body, h, false)
	}
	status, body, h := from(t, second, ip, "POST", "/api/chat", token, map[string]any{"model": "m", "stream": false})
	checkLimited(t, status, body, h, true)
	if n := e.fake.Total().Requests; n != 60 {
		t.Errorf("the upstream saw %d requests, want 60", n)
	}
	// Another client is not limited, nor are routes other than the client's.
	if status, body, _ := from(t, second, testIP(), "POST", "/v1/chat/completions", token, chatBody(false)); status != http.StatusOK {
		t.Errorf("another address: %d %s", status, body)
	}
	for _, path := range []string{"/health", "/metrics", "/admin/tokens"} {
		if status, body, _ := from(t, e.url, ip, "GET", path, adminToken, nil); status != http.StatusOK {
			t.Errorf("%s over the client limit: %d %.200s", path, status, body)
		}
	}
}

// Without Redis the same limit holds on one instance (in memory), and
// headers a client sends without a trusted proxy do not escape it.
func TestIPLimitInMemory(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, ipLimitEnv(map[string]string{"TRUSTED_PROXIES": "", "STATS_FLUSH_INTERVAL": "100ms"}))
		e.importKeys("ollama", "sk-limit-1-0123456789")
		token := e.createToken("ollama")
		awayFromWindowEdge(t)
		for i := range 60 {
			spoofed := testIP() // ignored: the peer is no trusted proxy
			status, body, h := from(t, e.url, spoofed, "POST", "/v1/chat/completions", token, chatBody(i%2 == 1))
			if status != http.StatusOK || h.Get("X-RateLimit-Remaining") != strconv.Itoa(59-i) {
				t.Fatalf("request %d: %d remaining %q %s", i+1, status, h.Get("X-RateLimit-Remaining"), body)
			}
		}
		status, body, h := from(t, e.url, testIP(), "POST", "/v1/chat/completions", token, chatBody(false))
		checkLimited(t, status, body, h, false)
		if n := e.fake.Total().Requests; n != 60 {
			t.Errorf("the upstream saw %d requests, want 60", n)
		}
		// The refused request is not in the statistics.
		eventually(t, 5*time.Second, "60 requests stored", func() bool { return e.readTables(t, "ollama_api").Global.Total == 60 })
		time.Sleep(300 * time.Millisecond)
		if n := e.readTables(t, "ollama_api").Global.Total; n != 60 {
			t.Errorf("statistics count %d requests, want 60", n)
		}
	})
}
