package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestPublicStatsDisplayTimezone: with DISPLAY_TIMEZONE the public
// statistics label their hours and show their times in that zone, with
// its offset; the figures stay the same (storage is UTC).
func TestPublicStatsDisplayTimezone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, zone, offset string
	}{
		{"default UTC", "", "Z"},
		{"Shanghai", "Asia/Shanghai", "+08:00"},
		{"Los Angeles", "America/Los_Angeles", "-0"}, // -07:00 or -08:00 by the season
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"STATS_FLUSH_INTERVAL": "100ms", "PUBLIC_STATS_TTL": "1s"}
			if tt.zone != "" {
				env["DISPLAY_TIMEZONE"] = tt.zone
			}
			e := newTestEnv(t, "sqlite", env)
			e.importKeys("ollama", "sk-zone-0123456789abcdef")
			e.chatN(e.createToken("ollama"), 1)
			e.waitTotal(1)
			loc := time.UTC
			if tt.zone != "" {
				var err error
				if loc, err = time.LoadLocation(tt.zone); err != nil {
					t.Fatal(err)
				}
			}
			before := time.Now().In(loc).Truncate(time.Hour).Format("15:04")
			status, body, _ := e.do("GET", "/admin/public-stats?provider=ollama", "", nil)
			after := time.Now().In(loc).Truncate(time.Hour).Format("15:04")
			if status != 200 {
				t.Fatalf("public-stats: %d %s", status, body)
			}
			var m struct {
				Global struct {
					LastUpdated string `json:"lastUpdated"`
				} `json:"global"`
				Timestamp   string `json:"timestamp"`
				HourlyTrend []struct {
					Hour     string `json:"hour"`
					Requests int64  `json:"requests"`
				} `json:"hourlyTrend"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			if n := len(m.HourlyTrend); n != 24 {
				t.Fatalf("hourlyTrend has %d hours", n)
			}
			last := m.HourlyTrend[23]
			if last.Hour != before && last.Hour != after || last.Requests != 1 {
				t.Errorf("hourlyTrend ends at %s with %d requests, want the current hour in %s (%s) and 1", last.Hour, last.Requests, loc, after)
			}
			for name, v := range map[string]string{"global.lastUpdated": m.Global.LastUpdated, "timestamp": m.Timestamp} {
				ts, err := time.Parse(time.RFC3339Nano, v)
				if err != nil || !strings.Contains(v[19:], tt.offset) {
					t.Errorf("%s = %q, want an RFC 3339 time with the offset of %s", name, v, loc)
				}
				if err == nil && time.Since(ts).Abs() > time.Hour {
					t.Errorf("%s = %q is not now", name, v)
				}
			}
		})
	}
}
