package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/ratelimit"
)

// A limit's 429 and headers: whole seconds rounded up, the nearer of two
// limits shown, and an upstream key's own X-RateLimit headers not mixed in.
func TestRateLimitAnswer(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		SetRateLimitHeaders(c, ratelimit.Result{Allowed: true, Limit: 60, Remaining: 3, Reset: 1500 * time.Millisecond})
		setTighterHeaders(c, ratelimit.Result{Allowed: true, Limit: 10, Remaining: 7, Reset: time.Second}) // looser: kept out
		upstream := http.Header{"X-Ratelimit-Remaining": {"999"}, "X-Upstream": {"yes"}}
		copyResponseHeaders(c, upstream)
		return WriteError(c, RateLimitError(ratelimit.Result{RetryAfter: 200 * time.Millisecond}, "slow down"))
	})
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "3", "X-Ratelimit-Reset": "2",
		"Retry-After": "1", "X-Upstream": "yes"}
	for k, v := range want {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("status %d", resp.StatusCode)
	}

	app = fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		SetRateLimitHeaders(c, ratelimit.Result{Allowed: true, Limit: 60, Remaining: 50, Reset: time.Second})
		setTighterHeaders(c, ratelimit.Result{Allowed: true, Limit: 5, Remaining: 2, Reset: time.Second})
		return nil
	})
	resp, _ = app.Test(httptest.NewRequest("GET", "/", nil))
	if resp.Header.Get("X-Ratelimit-Limit") != "5" || resp.Header.Get("X-Ratelimit-Remaining") != "2" {
		t.Errorf("the nearer limit is not shown: %v", resp.Header)
	}
}
