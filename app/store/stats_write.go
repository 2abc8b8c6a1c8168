package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/migrations"
)

// WriteStats adds a batch of statistics to the provider's tables in one
// transaction. Every statement is additive (x = x + new x), so several
// instances may write to one database without reading first. Rows go in
// multi-row statements of up to chunk() rows, in a sorted order so that
// two instances lock shared rows in the same order.
func (s *Store) WriteStats(ctx context.Context, b *stats.Batch) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w := statsWriter{tx: tx, s: s, provider: b.Provider}
		if b.ID != "" {
			w.exec(`INSERT INTO `+s.table("stats_flushes")+` (id, applied_at) VALUES (?, ?)`, b.ID, time.Now().UTC())
		}
		w.global(&b.Global)
		w.models(b.Models)
		w.hours(b.Hourly)
		w.keys(b.Keys)
		w.tokens(b.Tokens)
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

// statsWriter runs the statements of one batch, keeping the first error.
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

// send runs one statement of chunk rows, written with the placeholders of
// values, past GORM. On PostgreSQL it goes as an unnamed statement, in one
// round trip and fine through PgBouncer: by default pgx would keep every
// new text prepared on the server, some 4 MB for 500 rows of keys, and
// the last chunk's text changes with nearly every batch.
func (w *statsWriter) send(q string, args []any) {
	if w.err == nil {
		_, w.err = w.tx.Statement.ConnPool.ExecContext(w.tx.Statement.Context, q, w.sendArgs(args)...)
	}
}

// returning is send for a statement whose RETURNING clause yields one
// text column; it returns the set of values returned.
func (w *statsWriter) returning(q string, args []any) map[string]bool {
	if w.err != nil {
		return nil
	}
	rows, err := w.tx.Statement.ConnPool.QueryContext(w.tx.Statement.Context, q, w.sendArgs(args)...)
	if err != nil {
		w.err = err
		return nil
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var v string
		if w.err = rows.Scan(&v); w.err != nil {
			return nil
		}
		got[v] = true
	}
	if w.err = rows.Err(); w.err != nil {
		return nil
	}
	return got
}

// sendArgs puts pgx's query mode (read by pgx, not sent) before args.
func (w *statsWriter) sendArgs(args []any) []any {
	if w.s.dialect == migrations.Postgres {
		return append([]any{pgx.QueryExecModeExec}, args...)
	}
	return args
}

// latest is the SQL for the later of two nullable times (col, new value).
func (w *statsWriter) latest(col, val string) string {
	if w.s.dialect == migrations.Postgres {
		return fmt.Sprintf("GREATEST(%s, %s)", col, val) // GREATEST skips NULLs
	}
	return fmt.Sprintf("COALESCE(MAX(%s, %s), %s, %s)", col, val, col, val) // SQLite's MAX is NULL if either is
}

// addCols renders "c = table.c + src.c" for each column.
func addCols(table, src string, cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("%s = %s.%s + %s.%s", c, table, c, src, c)
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
		ON CONFLICT (id) DO UPDATE SET `+addCols(t, "excluded", "total_requests", "success_count", "failure_count",
		"prompt_tokens", "completion_tokens", "latency_ms_sum")+`, updated_at = excluded.updated_at`,
		c.Requests, c.Success, c.Failure, c.PromptTokens, c.CompletionTokens, c.LatencyMs, time.Now().UTC())
}

// nullTime maps the zero time to NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
