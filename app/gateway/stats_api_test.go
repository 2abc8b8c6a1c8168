package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/tokens"
)

// statsFigures are the fields the stats answers share.
type statsFigures struct {
	Provider         string
	TotalRequests    int64      `json:"total_requests"`
	SuccessCount     int64      `json:"success_count"`
	FailureCount     int64      `json:"failure_count"`
	SuccessRate      float64    `json:"success_rate"`
	PromptTokens     int64      `json:"prompt_tokens"`
	CompletionTokens int64      `json:"completion_tokens"`
	UpdatedAt        *time.Time `json:"updated_at"`
	Keys             struct{ Total, Active, Failed int }
	Models           []struct {
		Model         string
		TotalRequests int64 `json:"total_requests"`
		Requests      int64
		SuccessRate   float64 `json:"success_rate"`
	}
	Hourly []hourPoint
}

type hourPoint struct {
	Hour                       time.Time
	Requests, Success, Failure int64
}

type keyStatsPage struct {
	Page    int
	PerPage int `json:"per_page"`
	Total   int64
	Keys    []struct {
		APIKey              string `json:"api_key"`
		Status              string
		TotalRequests       int64      `json:"total_requests"`
		SuccessCount        int64      `json:"success_count"`
		FailureCount        int64      `json:"failure_count"`
		ConsecutiveFailures int        `json:"consecutive_failures"`
		LastUsed            *time.Time `json:"last_used"`
	}
}

// getJSON GETs path and decodes a 200 answer into out.
func (e *testEnv) getJSON(path, token string, out any) string {
	e.t.Helper()
	status, body, _ := e.do("GET", path, token, nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		e.t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return string(body)
}

// chatN sends n chat requests that must succeed, alternating JSON and SSE.
func (e *testEnv) chatN(token string, n int) {
	e.t.Helper()
	for i := range n {
		if status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(i%2 == 1)); status != http.StatusOK {
			e.t.Fatalf("chat %d: %d %s", i, status, body)
		}
	}
}

// waitTotal polls /admin/stats (never cached) until the flush shows want.
func (e *testEnv) waitTotal(want int64) {
	e.t.Helper()
	eventually(e.t, 10*time.Second, "statistics flushed", func() bool {
		var s statsFigures
		e.getJSON("/admin/stats", adminToken, &s)
		return s.TotalRequests == want
	})
}

func TestStatsAPI(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"STATS_FLUSH_INTERVAL": "100ms", "DISABLE_OPENROUTER": "true"})
		good, bad := "sk-good-0123456789abcdef", "sk-bad-0123456789abcdef" // masked apart: sk-goo…, sk-bad…
		if status, body, _ := e.do("POST", "/admin/api-keys/import", adminToken, map[string]any{"provider": "ollama",
			"keys": []any{map[string]string{"api_key": good, "username": "alice@example.com"}, bad}}); status != http.StatusOK {
			t.Fatalf("import: %d %s", status, body)
		}
		token := e.createToken("ollama")
		e.fake.SetFault(bad, fakeupstream.Fault{Status: 500, Times: 1}) // one failover to the good key
		e.chatN(token, 4)
		e.waitTotal(4)

		var s statsFigures
		e.getJSON("/admin/stats", adminToken, &s)
		up := e.fake.Total()
		if s.Provider != "ollama" || s.SuccessCount != 4 || s.FailureCount != 0 || s.SuccessRate != 100 || s.UpdatedAt == nil ||
			s.PromptTokens != up.PromptTokens || s.CompletionTokens != up.CompletionTokens || up.PromptTokens == 0 ||
			s.Keys.Total != 2 || s.Keys.Active != 2 || len(s.Models) != 1 || s.Models[0].Model != "gpt-oss:120b" ||
			s.Models[0].TotalRequests != 4 || s.Models[0].SuccessRate != 100 {
			t.Fatalf("/admin/stats = %+v; upstream %+v", s, up)
		}

		// Per key: equal to what the upstream saw, the failed attempt included.
		var page keyStatsPage
		e.getJSON("/admin/keys/stats?reveal=true&sort=failures", adminToken, &page)
		if page.Page != 1 || page.PerPage != 50 || page.Total != 2 || len(page.Keys) != 2 || page.Keys[0].APIKey != bad {
			t.Fatalf("keys page: %+v", page)
		}
		for _, k := range page.Keys {
			c := e.fake.Counts(k.APIKey)
			wantFailures := 0
			if k.APIKey == bad {
				wantFailures = 1 // its 500 was its own (the good key answered): it rests a few seconds
			}
			if k.TotalRequests != c.Requests || k.SuccessCount != c.OK || k.FailureCount != c.Failed || k.LastUsed == nil ||
				k.Status != "active" || k.ConsecutiveFailures != wantFailures {
				t.Errorf("key %s: %+v, upstream %+v", redact.Key(k.APIKey), k, c)
			}
		}
		if page.Keys[0].FailureCount != 1 || page.Keys[0].TotalRequests+page.Keys[1].TotalRequests != 5 {
			t.Errorf("failover not counted per key: %+v", page.Keys)
		}
		masked := e.getJSON("/admin/keys/stats?sort=key", adminToken, &page)
		if page.Keys[0].APIKey != redact.Key(bad) || page.Keys[1].APIKey != redact.Key(good) ||
			strings.Contains(masked, good) || strings.Contains(masked, bad) {
			t.Errorf("masked page: %s", masked)
		}

		for _, tt := range []struct {
			query string
			sum   int64
		}{{"", 4}, {"&model=gpt-oss:120b", 4}, {"&model=other", 0}} {
			var h struct {
				Hours  int
				Model  string
				Series []hourPoint
			}
			e.getJSON("/admin/stats/hourly?hours=24"+tt.query, adminToken, &h)
			var sum int64
			for _, p := range h.Series {
				sum += p.Requests
			}
			last := h.Series[len(h.Series)-1].Hour
			if len(h.Series) != 24 || h.Hours != 24 || sum != tt.sum || last.After(time.Now()) || time.Since(last) > time.Hour {
				t.Errorf("hourly%s: %d points, sum %d, last %v", tt.query, len(h.Series), sum, last)
			}
		}

		var pub statsFigures
		body := e.getJSON("/admin/public-stats", "", &pub)
		if pub.TotalRequests != 4 || pub.SuccessRate != 100 || pub.Keys.Total != 2 || len(pub.Hourly) != 24 ||
			len(pub.Models) != 1 || pub.Models[0].Requests != 4 {
			t.Errorf("public stats: %s", body)
		}
		for _, secret := range []string{good, bad, redact.Key(good), redact.Key(bad), token, tokens.Digest(token),
			redact.Key(token), "alice@example.com", "api_key", "username"} {
			if strings.Contains(body, secret) {
				t.Errorf("public stats show %q: %s", secret, body)
			}
		}

		for _, path := range []string{"/admin/stats", "/admin/keys/stats", "/admin/stats/hourly"} {
			if status, body, _ := e.do("GET", path, "", nil); status != http.StatusUnauthorized || !strings.Contains(string(body), `"error"`) {
				t.Errorf("GET %s without token: %d %s", path, status, body)
			}
		}
		if status, body, _ := e.do("GET", "/admin/stats/hourly?hours=7", adminToken, nil); status != http.StatusBadRequest {
			t.Errorf("hours=7: %d %s", status, body)
		}
	})
}

// The public figures are cached for a few seconds (5 s by default): newer
// figures show only once that time has passed.
func TestPublicStatsCached(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"STATS_FLUSH_INTERVAL": "100ms", "DISABLE_OPENROUTER": "true"})
		e.importKeys("ollama", "sk-cache-0123456789abcdef")
		token := e.createToken("ollama")
		e.chatN(token, 2)
		e.waitTotal(2)

		var first, second statsFigures
		firstAt := time.Now()
		e.getJSON("/admin/public-stats", "", &first)
		e.chatN(token, 3)
		e.waitTotal(5)
		e.getJSON("/admin/public-stats", "", &second)
		if first.TotalRequests != 2 {
			t.Fatalf("first public total %d, want 2", first.TotalRequests)
		}
		if took := time.Since(firstAt); took < 4*time.Second && second.TotalRequests != 2 {
			t.Errorf("within %v of the first answer: total %d, want the cached 2", took, second.TotalRequests)
		}
		eventually(t, 10*time.Second, "public figures refreshed after the cache time", func() bool {
			e.getJSON("/admin/public-stats", "", &second)
			return second.TotalRequests == 5
		})

		// A burst of page views: every one answered, all with the same figures.
		// (That the burst costs one query set is counted at the store in
		// app/admin's TestPublicStatsBurstIsOneQuerySet.)
		const n = 500
		bodies := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				status, body, _ := e.do("GET", "/admin/public-stats", "", nil)
				if status != http.StatusOK {
					t.Errorf("burst request %d: %d %s", i, status, body)
				}
				bodies[i] = string(body)
			})
		}
		wg.Wait()
		for i := range n {
			if bodies[i] != bodies[0] {
				t.Fatalf("burst answers differ:\n%s\n%s", bodies[0], bodies[i])
			}
		}
	})
}
