package admin

import (
	"strconv"
	"time"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/store"
)

// The original project's figures: its names and types beside Keypool's.
// Its success rates are strings with two decimals ("95.00"); where
// Keypool already answers success_rate as a number, that stays, and the
// original's string is successRate.

// storage names where the figures live, as the original's "storage" did.
const storage = "database"

// rate is a success rate as the original wrote it: percent, two decimals.
func rate(success, total int64) string {
	if total <= 0 {
		return "0.00"
	}
	return strconv.FormatFloat(100*float64(success)/float64(total), 'f', 2, 64)
}

// originalStats are GET /admin/stats's fields of the original.
type originalStats struct {
	TotalAPIKeys      int       `json:"total_api_keys"`
	ActiveKeys        int       `json:"active_keys"`
	FailedKeys        int       `json:"failed_keys"`
	TotalClientTokens int       `json:"total_client_tokens"`
	SuccessRateAlt    string    `json:"successRate"`
	Storage           string    `json:"storage"`
	Timestamp         time.Time `json:"timestamp"`
}

func statsOf(o operator.Overview, now time.Time) originalStats {
	return originalStats{TotalAPIKeys: o.Keys.Total, ActiveKeys: o.Keys.Active, FailedKeys: o.Keys.Total - o.Keys.Active,
		TotalClientTokens: o.Tokens, SuccessRateAlt: rate(o.SuccessCount, o.TotalRequests), Storage: storage, Timestamp: now.UTC()}
}

// keyStat is one key of GET /admin/keys/stats as the original listed it.
type keyStat struct {
	APIKey         string     `json:"apiKey"`  // masked
	FullKey        string     `json:"fullKey"` // masked unless ?reveal=true
	TotalRequests  int64      `json:"totalRequests"`
	SuccessCount   int64      `json:"successCount"`
	FailureCount   int64      `json:"failureCount"`
	SuccessRate    string     `json:"successRate"`
	LastUsed       *time.Time `json:"lastUsed"`
	Status         string     `json:"status"`
	DisabledReason *string    `json:"disabledReason"`
}

// keyStatsAnswer is a page of keys with their usage, in both shapes.
type keyStatsAnswer struct {
	operator.KeyStatsPage
	Stats []keyStat `json:"stats"`
}

func keyStatsOf(page operator.KeyStatsPage, masked []string) keyStatsAnswer {
	out := keyStatsAnswer{KeyStatsPage: page, Stats: make([]keyStat, len(page.Keys))}
	for i, k := range page.Keys {
		out.Stats[i] = keyStat{APIKey: masked[i], FullKey: k.APIKey, TotalRequests: k.TotalRequests,
			SuccessCount: k.SuccessCount, FailureCount: k.FailureCount, SuccessRate: rate(k.SuccessCount, k.TotalRequests),
			LastUsed: k.LastUsed, Status: k.Status}
	}
	return out
}

// publicAnswer is GET /admin/public-stats: Keypool's figures and the
// original's global, topModels, recentTopModels, hourlyTrend.
type publicAnswer struct {
	*operator.PublicFigures
	Global          publicGlobal  `json:"global"`
	TopModels       []publicModel `json:"topModels"`
	RecentTopModels []publicModel `json:"recentTopModels"`
	HourlyTrend     []publicHour  `json:"hourlyTrend"`
	Storage         string        `json:"storage"`
	Timestamp       time.Time     `json:"timestamp"`
}

type publicGlobal struct {
	TotalRequests int64      `json:"totalRequests"`
	SuccessCount  int64      `json:"successCount"`
	FailureCount  int64      `json:"failureCount"`
	SuccessRate   string     `json:"successRate"`
	LastUpdated   *time.Time `json:"lastUpdated"`
	TotalAPIKeys  int        `json:"totalApiKeys"`
	ActiveKeys    int        `json:"activeKeys"`
	FailedKeys    int        `json:"failedKeys"`
	Storage       string     `json:"storage"`
}

type publicModel struct {
	Model       string `json:"model"`
	Requests    int64  `json:"requests"`
	Success     int64  `json:"success"`
	Failure     int64  `json:"failure"`
	SuccessRate string `json:"successRate"`
}

type publicHour struct {
	Hour     string `json:"hour"` // "15:00", in DISPLAY_TIMEZONE
	Requests int64  `json:"requests"`
	Success  int64  `json:"success"`
	Failure  int64  `json:"failure"`
}

// publicOf answers the figures as read at f.LoadedAt, so that every caller
// served the same figures gets the same answer.
// Times are shown in zone (DISPLAY_TIMEZONE), with their offset.
func publicOf(f *operator.PublicFigures, zone *time.Location) publicAnswer {
	now := f.LoadedAt.In(zone)
	out := publicAnswer{PublicFigures: f, Storage: storage, Timestamp: now,
		Global: publicGlobal{TotalRequests: f.TotalRequests, SuccessCount: f.SuccessCount, FailureCount: f.FailureCount,
			SuccessRate: rate(f.SuccessCount, f.TotalRequests), LastUpdated: inZone(f.UpdatedAt, zone), TotalAPIKeys: f.Keys.Total,
			ActiveKeys: f.Keys.Active, FailedKeys: f.Keys.Total - f.Keys.Active, Storage: storage},
		TopModels: topOf(f.Models, operator.TopModels), RecentTopModels: topOf(f.RecentModels, operator.RecentTopModels),
		HourlyTrend: trend(f.Hourly, now)}
	return out
}

func topOf(in []operator.PublicModel, limit int) []publicModel {
	out := make([]publicModel, 0, min(len(in), limit))
	for _, m := range in[:min(len(in), limit)] {
		out = append(out, publicModel{Model: m.Model, Requests: m.Requests, Success: m.Success, Failure: m.Failure,
			SuccessRate: rate(m.Success, m.Requests)})
	}
	return out
}

// inZone is t shown in zone; nil stays nil.
func inZone(t *time.Time, zone *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	z := t.In(zone)
	return &z
}

// trend is exactly the last 24 hours, the current one last, zeros where
// the series has none. The hours are the stored UTC hours, labelled with
// their start in now's location (DISPLAY_TIMEZONE).
func trend(series []store.HourPoint, now time.Time) []publicHour {
	byHour := make(map[time.Time]store.HourPoint, len(series))
	for _, p := range series {
		byHour[p.Hour.UTC().Truncate(time.Hour)] = p
	}
	out := make([]publicHour, 24)
	first := now.UTC().Truncate(time.Hour).Add(-23 * time.Hour)
	for i := range out {
		h := first.Add(time.Duration(i) * time.Hour)
		p := byHour[h]
		out[i] = publicHour{Hour: h.In(now.Location()).Format("15:04"), Requests: p.Requests, Success: p.Success, Failure: p.Failure}
	}
	return out
}
