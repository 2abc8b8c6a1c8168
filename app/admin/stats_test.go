package admin

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/store"
)

func TestStatsRoutesValidateAndAuthenticate(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, "sqlite", operator.Config{}, "sk-validate-0123456789abcdef")
	tests := []struct {
		path, token string
		status      int
	}{
		{"/admin/stats", "", 401},
		{"/admin/keys/stats", "wrong", 401},
		{"/admin/stats/hourly", "", 401},
		{"/admin/public-stats", "", 200},
		{"/admin/public-stats?provider=bogus", "", 400},
		{"/admin/stats", testAdminToken, 200},
		{"/admin/keys/stats?page=0", testAdminToken, 400},
		{"/admin/keys/stats?page=x", testAdminToken, 400},
		{"/admin/keys/stats?page=99999999999", testAdminToken, 400},
		{"/admin/keys/stats?per_page=0", testAdminToken, 400},
		{"/admin/keys/stats?per_page=501", testAdminToken, 400},
		{"/admin/keys/stats?per_page=500&page=3", testAdminToken, 200},
		{"/admin/keys/stats?sort=username", testAdminToken, 400},
		{"/admin/keys/stats?sort=key&order=up", testAdminToken, 400},
		{"/admin/keys/stats?reveal=maybe", testAdminToken, 400},
		{"/admin/keys/stats?sort=last_used&order=asc&reveal=true", testAdminToken, 200},
		{"/admin/stats/hourly?hours=48", testAdminToken, 400},
		{"/admin/stats/hourly?hours=-24", testAdminToken, 400},
		{"/admin/stats/hourly?hours=168&model=x", testAdminToken, 200},
	}
	for _, tt := range tests {
		status, body := e.get(t, tt.path, tt.token, nil)
		if status != tt.status || (status != 200 && !strings.Contains(body, `"error"`)) {
			t.Errorf("GET %s (token %q): %d %s, want %d", tt.path, tt.token, status, body, tt.status)
		}
	}
}

// Key states come from the pool, which may be ahead of the store.
func TestKeyStatsShowsPoolState(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		keys := []string{"sk-aaaa-0123456789abcdef", "sk-bbbb-0123456789abcdef"}
		e := newAdminEnv(t, dialect, operator.Config{}, keys...)
		if err := e.pool.Disable(keys[1], 0); err != nil { // in memory only: the store still says active
			t.Fatal(err)
		}
		var out operator.KeyStatsPage
		_, body := e.get(t, "/admin/keys/stats?sort=key&order=desc&reveal=true", testAdminToken, &out)
		if out.Page != 1 || out.PerPage != 50 || out.Total != 2 || len(out.Keys) != 2 || out.Keys[0].APIKey != keys[1] ||
			out.Keys[0].Status != "disabled" || out.Keys[1].Status != "active" {
			t.Fatalf("keys page: %s", body)
		}
	})
}

func TestHourlyWindow(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t, "sqlite", operator.Config{})
	e.record(t, "m1", 3)
	for _, hours := range []int{24, 168, 720} {
		var out hourlyAnswer
		e.get(t, "/admin/stats/hourly?hours="+strconv.Itoa(hours), testAdminToken, &out)
		now := time.Now().UTC()
		last := out.Series[len(out.Series)-1]
		if len(out.Series) != hours || out.Hours != hours || !last.Hour.Equal(now.Truncate(time.Hour)) || last.Requests != 3 ||
			!out.Series[0].Hour.Equal(now.Truncate(time.Hour).Add(-time.Duration(hours-1)*time.Hour)) {
			t.Errorf("hours=%d: %d points, first %v, last %+v", hours, len(out.Series), out.Series[0].Hour, last)
		}
	}
}

// GET /admin/public-stats and the /stats page read one cache: figures a
// JSON request filled are what the page's call gets within the TTL, even
// after the store moved on.
func TestPublicStatsSharedWithThePage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newAdminEnv(t, dialect, operator.Config{PublicStatsTTL: time.Minute}, "sk-shared-0123456789abcdef")
		e.record(t, "m1", 4)
		status, body := e.get(t, "/admin/public-stats", "", nil)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		e.record(t, "m1", 100) // not seen until the TTL passes
		figs, err := e.ops.PublicFigures(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		// The answer is the figures, then the original's fields.
		if b, _ := json.Marshal(figs); !strings.HasPrefix(body, strings.TrimSuffix(string(b), "}")+`,"global":{`) ||
			figs.TotalRequests != 4 || figs.Keys.Total != 1 {
			t.Fatalf("page's figures %s, JSON %s", b, body)
		}
		var direct store.Totals
		if direct, err = e.store.GlobalStats(t.Context()); err != nil || direct.TotalRequests != 104 {
			t.Fatalf("the store has %d requests (%v), want 104", direct.TotalRequests, err)
		}
	})
}
