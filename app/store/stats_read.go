package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"
)

// Usage is a set of request figures with the rates derived from them.
type Usage struct {
	TotalRequests    int64   `json:"total_requests"`
	SuccessCount     int64   `json:"success_count"`
	FailureCount     int64   `json:"failure_count"`
	SuccessRate      float64 `json:"success_rate"` // percent, 2 decimals; 0 without requests
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	AvgLatencyMs     float64 `json:"avg_latency_ms"`
	LatencyMsSum     int64   `json:"-"` // for AvgLatencyMs
}

// usageCols are the columns Usage.dests scans, in order.
var usageCols = []string{"total_requests", "success_count", "failure_count", "prompt_tokens", "completion_tokens", "latency_ms_sum"}

// dests returns before, then Usage's scan destinations, then after.
func (u *Usage) dests(before []any, after ...any) []any {
	d := append(before, &u.TotalRequests, &u.SuccessCount, &u.FailureCount, &u.PromptTokens, &u.CompletionTokens, &u.LatencyMsSum)
	return append(d, after...)
}

// derive fills the rates (2 decimals; 0 without requests) after a scan.
func (u *Usage) derive() {
	if n := float64(u.TotalRequests); n > 0 {
		u.SuccessRate = math.Round(10000*float64(u.SuccessCount)/n) / 100
		u.AvgLatencyMs = math.Round(100*float64(u.LatencyMsSum)/n) / 100
	}
}

// Totals are the provider-wide figures of {prefix}_global_stats.
type Totals struct {
	Usage
	UpdatedAt *time.Time `json:"updated_at"`
}

// ModelRow is one model's all-time figures from {prefix}_model_stats.
type ModelRow struct {
	Model string `json:"model"`
	Usage
	LastUsed *time.Time `json:"last_used"`
}

// HourPoint is one UTC hour of {prefix}_model_hourly.
type HourPoint struct {
	Hour             time.Time `json:"hour"`
	Requests         int64     `json:"requests"`
	Success          int64     `json:"success"`
	Failure          int64     `json:"failure"`
	PromptTokens     int64     `json:"prompt_tokens"`
	CompletionTokens int64     `json:"completion_tokens"`
}

// GlobalStats returns the provider's totals; zeros when nothing was counted.
func (s *Store) GlobalStats(ctx context.Context) (Totals, error) {
	var t Totals
	err := s.scanRows(ctx, func(r *sql.Rows) error { return r.Scan(t.dests(nil, timeInto{&t.UpdatedAt})...) },
		`SELECT `+strings.Join(usageCols, ", ")+`, updated_at FROM `+s.table("global_stats")+` WHERE id = 'global'`)
	if err != nil {
		return Totals{}, fmt.Errorf("store: global stats: %w", err)
	}
	t.derive()
	return t, nil
}

// TopModels returns the limit models with the most requests, grouped by
// model alone (an adopted database may spell the provider column otherwise).
func (s *Store) TopModels(ctx context.Context, limit int) ([]ModelRow, error) {
	out := []ModelRow{}
	err := s.scanRows(ctx, func(r *sql.Rows) error {
		var m ModelRow
		if err := r.Scan(m.dests([]any{&m.Model}, timeInto{&m.LastUsed})...); err != nil {
			return err
		}
		m.derive()
		out = append(out, m)
		return nil
	}, `SELECT model, `+colList(sumOf, usageCols...)+`, MAX(last_used) FROM `+s.table("model_stats")+`
		GROUP BY model ORDER BY total_requests_sum DESC, model LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: top models: %w", err)
	}
	return out, nil
}

// HourlySeries returns one point per UTC hour in [from, to) (hours without
// rows as zeros), oldest first, summed over models unless model is set.
func (s *Store) HourlySeries(ctx context.Context, from, to time.Time, model string) ([]HourPoint, error) {
	from, to = from.UTC().Truncate(time.Hour), to.UTC().Truncate(time.Hour)
	out := make([]HourPoint, max(0, to.Sub(from)/time.Hour))
	for i := range out {
		out[i].Hour = from.Add(time.Duration(i) * time.Hour)
	}
	filter, args := ` AND model = ?`, []any{from, to, model}
	if model == "" {
		filter, args = "", args[:2]
	}
	err := s.scanRows(ctx, func(r *sql.Rows) error {
		var p HourPoint
		var hour *time.Time
		if err := r.Scan(timeInto{&hour}, &p.Requests, &p.Success, &p.Failure, &p.PromptTokens, &p.CompletionTokens); err != nil || hour == nil {
			return err
		}
		// Added and bounds-checked: SQLite compares times as text.
		if i := int(hour.Sub(from) / time.Hour); i >= 0 && i < len(out) {
			o := &out[i]
			o.Requests, o.Success, o.Failure = o.Requests+p.Requests, o.Success+p.Success, o.Failure+p.Failure
			o.PromptTokens, o.CompletionTokens = o.PromptTokens+p.PromptTokens, o.CompletionTokens+p.CompletionTokens
		}
		return nil
	}, `SELECT hour, `+colList(sumOf, "requests", "success", "failure", "prompt_tokens", "completion_tokens")+` FROM `+
		s.table("model_hourly")+` WHERE hour >= ? AND hour < ?`+filter+` GROUP BY hour`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: hourly series: %w", err)
	}
	return out, nil
}

// keySorts maps KeyStatsPage's sort orders to SQL; unused keys sort as zeros.
var keySorts = map[string]string{
	"requests":     "COALESCE(s.total_requests, 0)",
	"success_rate": "CASE WHEN s.total_requests > 0 THEN 1.0 * s.success_count / s.total_requests ELSE 0 END",
	"failures":     "COALESCE(s.failure_count, 0)",
	"last_used":    "s.last_used",
	"key":          "k.api_key",
}

// ValidKeySort reports whether KeyStatsPage knows the sort order.
func ValidKeySort(sort string) bool {
	_, ok := keySorts[sort]
	return ok
}

// KeyStatsQuery selects one page of KeyStatsPage.
type KeyStatsQuery struct {
	Sort          string // requests, success_rate, failures, last_used or key
	Desc          bool
	Limit, Offset int
}

// KeyStatsRow is one key with its usage; zeros for a key never used.
type KeyStatsRow struct {
	APIKey string `json:"api_key"`
	Status string `json:"status"`
	Usage
	LastUsed            *time.Time `json:"last_used"`
	LastSuccess         *time.Time `json:"last_success"`
	LastFailure         *time.Time `json:"last_failure"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
}

// KeyStatsPage returns one page of all keys, used or not, in the asked
// order (ties by key), and the number of keys.
func (s *Store) KeyStatsPage(ctx context.Context, q KeyStatsQuery) ([]KeyStatsRow, int64, error) {
	expr, ok := keySorts[q.Sort]
	if !ok {
		return nil, 0, fmt.Errorf("store: key stats: unknown sort %q", q.Sort)
	}
	order := expr + map[bool]string{false: " ASC", true: " DESC"}[q.Desc]
	if q.Sort == "last_used" { // never-used keys are the oldest; the dialects' NULL orders differ
		order += map[bool]string{false: " NULLS FIRST", true: " NULLS LAST"}[q.Desc]
	}
	var total int64
	if err := s.db.WithContext(ctx).Table(s.table("keys")).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count keys: %w", err)
	}
	out := []KeyStatsRow{}
	err := s.scanRows(ctx, func(r *sql.Rows) error {
		var k KeyStatsRow
		dests := k.dests([]any{&k.APIKey, &k.Status}, timeInto{&k.LastUsed}, timeInto{&k.LastSuccess}, timeInto{&k.LastFailure}, &k.ConsecutiveFailures)
		if err := r.Scan(dests...); err != nil {
			return err
		}
		k.derive()
		out = append(out, k)
		return nil
	}, `SELECT k.api_key, k.status, `+colList("COALESCE(s.%s, 0)", usageCols...)+`, s.last_used, s.last_success,
			s.last_failure, COALESCE(s.consecutive_failures, 0)
		FROM `+s.table("keys")+` k LEFT JOIN `+s.table("key_stats")+` s ON s.api_key = k.api_key
		ORDER BY `+order+`, k.api_key LIMIT ? OFFSET ?`, q.Limit, q.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: key stats: %w", err)
	}
	return out, total, nil
}

// scanRows runs a read query and calls scan for each row.
func (s *Store) scanRows(ctx context.Context, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := s.db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// colList renders format (%s: the column) for each column, joined by commas.
func colList(format string, cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = strings.ReplaceAll(format, "%s", c)
	}
	return strings.Join(parts, ", ")
}

// sumOf sums a column: PostgreSQL's SUM of a BIGINT is a NUMERIC, and an
// empty group's is NULL.
const sumOf = "CAST(COALESCE(SUM(%s), 0) AS BIGINT) AS %s_sum"

// timeInto scans a nullable time into *dst, in UTC. SQLite gives text, not
// a time, for aggregates such as MAX(last_used).
type timeInto struct{ dst **time.Time }

// Scan implements sql.Scanner.
func (v timeInto) Scan(src any) (err error) {
	*v.dst = nil
	t, _ := src.(time.Time)
	switch x := src.(type) {
	case nil:
		return nil
	case []byte:
		return v.Scan(string(x))
	case string: // the driver's own form (_time_format=sqlite), else RFC 3339
		if t, err = time.Parse("2006-01-02 15:04:05.999999999-07:00", x); err != nil {
			t, err = time.Parse(time.RFC3339Nano, x)
		}
	case time.Time:
	default:
		err = fmt.Errorf("cannot scan %T as a time", src)
	}
	t = t.UTC()
	*v.dst = &t
	return err
}
