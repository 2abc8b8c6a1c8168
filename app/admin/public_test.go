package admin

import (
	"encoding/json"
	"testing"
)

// The page's figures and GET /admin/public-stats come from one cache: a
// view of either fills it for both, and both show the same figures.
func TestPublicStatsSharedWithJSON(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newStatsEnv(t, dialect, "sk-shared-0123456789abcdef")
		e.record(t, "m1", 4)
		ps := &PublicStats{st: e.routes}

		_, body := e.get(t, "/admin/public-stats", "", nil)
		figs, err := ps.Figures(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if g, m, h := e.reader.global.Load(), e.reader.models.Load(), e.reader.hourly.Load(); g != 1 || m != 1 || h != 1 {
			t.Fatalf("JSON then Figures ran %d GlobalStats, %d TopModels, %d HourlySeries; want 1 each", g, m, h)
		}
		if b, _ := json.Marshal(figs); string(b) != body || figs.TotalRequests != 4 || figs.Keys.Total != 1 {
			t.Fatalf("Figures %s, JSON %s", b, body)
		}
		if _, err := ps.Figures(t.Context(), "openrouter"); err == nil {
			t.Fatal("Figures of a disabled provider: no error")
		}
		if ps.TTL() <= 0 {
			t.Fatalf("TTL %v", ps.TTL())
		}
	})
}
