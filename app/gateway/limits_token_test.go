package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/redistest"
)

// createLimitedToken makes a client token with per-minute limits.
func (e *testEnv) createLimitedToken(provider string, rpm, tpm int) string {
	e.t.Helper()
	body := map[string]any{"name": "limited", "rpm_limit": rpm, "tpm_limit": tpm}
	status, resp, _ := e.do("POST", "/admin/tokens?provider="+provider, adminToken, body)
	if status != http.StatusCreated {
		e.t.Fatalf("create token: %d %s", status, resp)
	}
	var out struct{ Token string }
	if err := json.Unmarshal(resp, &out); err != nil || out.Token == "" {
		e.t.Fatalf("create token: %s", resp)
	}
	return out.Token
}

// Per-token limits: requests per minute, and tokens per minute charged
// after each request from its usage; other tokens are not affected. With
// and without Redis.
func TestTokenLimits(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{false, true} {
		name := map[bool]string{false: "memory", true: "redis"}[shared]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DISABLE_OPENROUTER": "true"}
			if shared {
				env["REDIS_URL"] = redistest.URL(t)
			}
			e := newTestEnv(t, "sqlite", env)
			e.importKeys("ollama", "sk-token-limit-0123456789")
			rpm, tpm, free := e.createLimitedToken("ollama", 3, 0), e.createLimitedToken("ollama", 0, 1), e.createToken("ollama")
			awayFromWindowEdge(t)
			for i := range 3 {
				status, body, h := e.do("POST", chatPath("ollama"), rpm, chatBody(i == 1))
				if status != http.StatusOK || h.Get("X-RateLimit-Limit") != "3" {
					t.Fatalf("rpm token, request %d: %d %s (limit header %q)", i+1, status, body, h.Get("X-RateLimit-Limit"))
				}
			}
			status, body, h := e.do("POST", chatPath("ollama"), rpm, chatBody(false))
			checkLimited(t, status, body, h, false)
			status, body, h = e.do("POST", "/api/chat", rpm, map[string]any{"model": "m", "stream": false})
			checkLimited(t, status, body, h, true)

			// tpm of 1: the first request's usage spends the minute's budget.
			if status, body, _ := e.do("POST", chatPath("ollama"), tpm, chatBody(false)); status != http.StatusOK {
				t.Fatalf("tpm token, first request: %d %s", status, body)
			}
			status, body, _ = e.do("POST", chatPath("ollama"), tpm, chatBody(false))
			if status != http.StatusTooManyRequests {
				t.Fatalf("tpm token after its budget: %d %s", status, body)
			}
			for i := range 5 {
				if status, body, _ := e.do("POST", chatPath("ollama"), free, chatBody(false)); status != http.StatusOK {
					t.Fatalf("token without limits, request %d: %d %s", i+1, status, body)
				}
			}
			if n := e.fake.Total().Requests; n != 3+1+5 {
				t.Errorf("the upstream saw %d requests, want 9 (refused ones reach no key)", n)
			}
		})
	}
}

// A key with an rpm limit is skipped once it took its requests of the
// minute: the upstream never sees more, and the client gets 503 (no key)
// rather than the upstream's 429 once every key is spent.
func TestKeyRPMLimit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"DISABLE_OPENROUTER": "true"})
		limited, other := "sk-rpm-3-0123456789abcdef", "sk-rpm-5-0123456789abcdef"
		e.importKeys("ollama", limited, other)
		token := e.createToken("ollama")
		setKeyRPM(t, e, map[string]int{limited: 3, other: 5})
		e.stop()
		e.start() // the pool loads the limits

		awayFromWindowEdge(t)
		start := time.Now()
		ok, refused := 0, 0
		for range 12 {
			status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false))
			switch status {
			case http.StatusOK:
				ok++
			case http.StatusServiceUnavailable:
				refused++
			default:
				t.Fatalf("%d %s", status, body)
			}
		}
		if time.Since(start) > 50*time.Second {
			t.Skip("too slow to stay inside one minute")
		}
		if a, b := e.fake.Counts(limited).Requests, e.fake.Counts(other).Requests; a != 3 || b != 5 || ok != 8 || refused != 4 {
			t.Fatalf("upstream saw %d requests with the rpm-3 key and %d with the rpm-5 key; clients got %d OK, %d refused",
				a, b, ok, refused)
		}
	})
}

// setKeyRPM stores keys' rpm_limit straight in the database (the admin
// route to edit it belongs to the admin API).
func setKeyRPM(t *testing.T, e *testEnv, limits map[string]int) {
	t.Helper()
	db, err := store.Open(context.Background(), e.cfg.DatabaseURL, e.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for key, rpm := range limits {
		if err := db.Gorm.Exec(`UPDATE ollama_api_keys SET rpm_limit = ? WHERE api_key = ?`, rpm, key).Error; err != nil {
			t.Fatal(err)
		}
	}
}
