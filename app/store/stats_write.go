package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/migrations"
)

// WriteStats adds a batch of statistics to the provider's tables in one
// transaction. Every statement is an additive upsert (x = x + excluded.x),
// so several instances may write to one database without reading first.
func (s *Store) WriteStats(ctx context.Context, b *stats.Batch) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w := statsWriter{tx: tx, s: s, provider: b.Provider}
		if b.ID != "" {
			w.exec(`INSERT INTO `+s.table("stats_flushes")+` (id, applied_at) VALUES (?, ?)`, b.ID, time.Now().UTC())
		}
		w.global(&b.Global)
		for model, d := range b.Models {
			w.model(model, d)
		}
		for hk, d := range b.Hourly {
			w.hour(hk, d)
		}
		for key, d := range b.Keys {
			w.key(key, d)
		}
		for token, d := range b.Tokens {
			w.token(token, d)
		}
		return w.err
	})
	if err != nil {
		return fmt.Errorf("store: write stats: %w", err)
	}
	return nil
}

// StatsApplied reports whether a batch with this id was written.
func (s *Store) StatsApplied(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM `+s.table("stats_flushes")+` WHERE id = ?`, id).Row().Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: check stats batch: %w", err)
	}
	return n > 0, nil
}

// statsWriter runs the upserts of one batch, keeping the first error.
type statsWriter struct {
	tx       *gorm.DB
	s        *Store
	provider string
	err      error
}

func (w *statsWriter) exec(sql string, args ...any) {
	if w.err == nil {
		w.err = w.tx.Exec(sql, args...).Error
	}
}

// latest is the SQL for the later of two nullable times (col, new value).
func (w *statsWriter) latest(col, val string) string {
	if w.s.dialect == migrations.Postgres {
		return fmt.Sprintf("GREATEST(%s, %s)", col, val) // GREATEST skips NULLs
	}
	return fmt.Sprintf("COALESCE(MAX(%s, %s), %s, %s)", col, val, col, val) // SQLite's MAX is NULL if either is
}

// addCols renders "c = t.c + excluded.c" for each column.
func addCols(table string, cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("%s = %s.%s + excluded.%s", c, table, c, c)
	}
	return strings.Join(parts, ", ")
}

func (w *statsWriter) global(c *stats.Counter) {
	if c.Requests == 0 {
		return
	}
	t := w.s.table("global_stats")
	w.exec(`INSERT INTO `+t+` (id, total_requests, success_count, failure_count, prompt_tokens, completion_tokens, latency_ms_sum, updated_at)
		VALUES ('global', ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET `+addCols(t, "total_requests", "success_count", "failure_count",
		"prompt_tokens", "completion_tokens", "latency_ms_sum")+`, updated_at = excluded.updated_at`,
		c.Requests, c.Success, c.Failure, c.PromptTokens, c.CompletionTokens, c.LatencyMs, time.Now().UTC())
}

func (w *statsWriter) model(model string, d *stats.ModelDelta) {
	t := w.s.table("model_stats")
	w.exec(`INSERT INTO `+t+` (provider, model, total_requests, success_count, failure_count, prompt_tokens, completion_tokens, latency_ms_sum, last_used)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (provider, model) DO UPDATE SET `+addCols(t, "total_requests", "success_count", "failure_count",
		"prompt_tokens", "completion_tokens", "latency_ms_sum")+`, last_used = `+w.latest(t+".last_used", "excluded.last_used"),
		w.provider, model, d.Requests, d.Success, d.Failure, d.PromptTokens, d.CompletionTokens, d.LatencyMs, nullTime(d.LastUsed))
}

func (w *statsWriter) hour(hk stats.HourKey, d *stats.Counter) {
	t := w.s.table("model_hourly")
	w.exec(`INSERT INTO `+t+` (provider, model, hour, requests, success, failure, prompt_tokens, completion_tokens, latency_ms_sum)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (provider, model, hour) DO UPDATE SET `+addCols(t, "requests", "success", "failure",
		"prompt_tokens", "completion_tokens", "latency_ms_sum"),
		w.provider, hk.Model, hk.Hour.UTC(), d.Requests, d.Success, d.Failure, d.PromptTokens, d.CompletionTokens, d.LatencyMs)
}

// key upserts key_stats only for keys that still exist: a key deleted
// since its requests must not make the whole batch fail on the foreign key.
func (w *statsWriter) key(apiKey string, d *stats.KeyDelta) {
	t, keys := w.s.table("key_stats"), w.s.table("keys")
	rate := 0.0
	if d.Requests > 0 {
		rate = float64(int64(10000*d.Success/d.Requests)) / 100
	}
	saw := 0
	if d.SawSuccess {
		saw = 1
	}
	w.exec(`INSERT INTO `+t+` (api_key, total_requests, success_count, failure_count, success_rate, prompt_tokens,
			completion_tokens, latency_ms_sum, last_used, last_success, last_failure, consecutive_failures)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM `+keys+` WHERE api_key = ?)
		ON CONFLICT (api_key) DO UPDATE SET `+addCols(t, "total_requests", "success_count", "failure_count",
		"prompt_tokens", "completion_tokens", "latency_ms_sum")+`,
			success_rate = ROUND(100.0 * (`+t+`.success_count + excluded.success_count) / (`+t+`.total_requests + excluded.total_requests), 2),
			last_used = `+w.latest(t+".last_used", "excluded.last_used")+`,
			last_success = `+w.latest(t+".last_success", "excluded.last_success")+`,
			last_failure = `+w.latest(t+".last_failure", "excluded.last_failure")+`,
			consecutive_failures = CASE WHEN ? = 1 THEN excluded.consecutive_failures
				ELSE `+t+`.consecutive_failures + excluded.consecutive_failures END`,
		apiKey, d.Requests, d.Success, d.Failure, rate, d.PromptTokens, d.CompletionTokens, d.LatencyMs,
		nullTime(d.LastUsed), nullTime(d.LastSuccess), nullTime(d.LastFailure), d.Trailing, apiKey, saw)
}

func (w *statsWriter) token(token string, d *stats.TokenDelta) {
	t := w.s.table("client_tokens")
	w.exec(`UPDATE `+t+` SET request_count = request_count + ?, last_used_at = `+w.latest("last_used_at", "?")+` WHERE token = ?`,
		append([]any{d.Requests}, append(latestArgs(w.s.dialect, nullTime(d.LastUsed)), token)...)...)
}

// latestArgs repeats a parameter as many times as latest's SQL uses it.
func latestArgs(dialect string, v any) []any {
	if dialect == migrations.Postgres {
		return []any{v}
	}
	return []any{v, v}
}

// nullTime maps the zero time to NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
