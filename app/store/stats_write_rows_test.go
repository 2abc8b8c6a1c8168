package store_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// keyRow is every column of a key_stats row; times in UTC, zero for NULL.
type keyRow struct {
	stats.Counter
	Rate                               float64
	Consecutive                        int64
	LastUsed, LastSuccess, LastFailure time.Time
}

// tokenRow is the usage columns of a client_tokens row.
type tokenRow struct {
	Requests int64
	LastUsed time.Time
}

// modelRow is the figures of a model_stats row.
type modelRow struct {
	stats.Counter
	LastUsed time.Time
}

func readKeyRows(t *testing.T, db *store.DB, prefix string) map[string]keyRow {
	return readRows(t, db, `SELECT api_key, total_requests, success_count, failure_count, prompt_tokens, completion_tokens,
		latency_ms_sum, success_rate, consecutive_failures, last_used, last_success, last_failure
		FROM ollama_api_key_stats WHERE api_key LIKE ?`, prefix, func(rows *sql.Rows, r *keyRow) (string, error) {
		var name string
		var used, succeeded, failed *time.Time
		err := rows.Scan(&name, &r.Requests, &r.Success, &r.Failure, &r.PromptTokens, &r.CompletionTokens, &r.LatencyMs,
			&r.Rate, &r.Consecutive, &used, &succeeded, &failed)
		r.LastUsed, r.LastSuccess, r.LastFailure = utc(used), utc(succeeded), utc(failed)
		return name, err
	})
}

func readTokenRows(t *testing.T, db *store.DB, prefix string) map[string]tokenRow {
	return readRows(t, db, `SELECT token, request_count, last_used_at FROM ollama_api_client_tokens WHERE token LIKE ?`,
		prefix, func(rows *sql.Rows, r *tokenRow) (string, error) {
			var name string
			var used *time.Time
			err := rows.Scan(&name, &r.Requests, &used)
			r.LastUsed = utc(used)
			return name, err
		})
}

func readModelRows(t *testing.T, db *store.DB, prefix string) map[string]modelRow {
	return readRows(t, db, `SELECT model, total_requests, success_count, failure_count, prompt_tokens, completion_tokens,
		latency_ms_sum, last_used FROM ollama_api_model_stats WHERE provider = 'ollama' AND model LIKE ?`,
		prefix, func(rows *sql.Rows, r *modelRow) (string, error) {
			var name string
			var used *time.Time
			err := rows.Scan(&name, &r.Requests, &r.Success, &r.Failure, &r.PromptTokens, &r.CompletionTokens, &r.LatencyMs, &used)
			r.LastUsed = utc(used)
			return name, err
		})
}

// readHourRows reads model_hourly rows by hourName.
func readHourRows(t *testing.T, db *store.DB, prefix string) map[string]stats.Counter {
	return readRows(t, db, `SELECT model, hour, requests, success, failure, prompt_tokens, completion_tokens, latency_ms_sum
		FROM ollama_api_model_hourly WHERE provider = 'ollama' AND model LIKE ?`,
		prefix, func(rows *sql.Rows, c *stats.Counter) (string, error) {
			var hk stats.HourKey
			err := rows.Scan(&hk.Model, &hk.Hour, &c.Requests, &c.Success, &c.Failure, &c.PromptTokens, &c.CompletionTokens, &c.LatencyMs)
			return hourName(hk), err
		})
}

func hourName(hk stats.HourKey) string { return hk.Model + "@" + hk.Hour.UTC().Format(time.RFC3339) }

// readRows reads the rows of query, given prefix+"%" for its one
// parameter, into a map by the name scan returns.
func readRows[R any](t *testing.T, db *store.DB, query, prefix string, scan func(*sql.Rows, *R) (string, error)) map[string]R {
	t.Helper()
	rows, err := db.Gorm.WithContext(testContext(t)).Raw(query, prefix+"%").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]R{}
	for rows.Next() {
		var r R
		name, err := scan(rows, &r)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readGlobal(t *testing.T, db *store.DB) stats.Counter {
	t.Helper()
	var c stats.Counter
	err := db.Gorm.WithContext(testContext(t)).Raw(`SELECT total_requests, success_count, failure_count, prompt_tokens,
		completion_tokens, latency_ms_sum FROM ollama_api_global_stats WHERE id = 'global'`).Row().
		Scan(&c.Requests, &c.Success, &c.Failure, &c.PromptTokens, &c.CompletionTokens, &c.LatencyMs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func subCounter(a, b stats.Counter) stats.Counter {
	return stats.Counter{Requests: a.Requests - b.Requests, Success: a.Success - b.Success, Failure: a.Failure - b.Failure,
		PromptTokens: a.PromptTokens - b.PromptTokens, CompletionTokens: a.CompletionTokens - b.CompletionTokens,
		LatencyMs: a.LatencyMs - b.LatencyMs}
}

// utc returns *p in UTC, or the zero time for NULL.
func utc(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

func mustCreateToken(t *testing.T, s *store.Store, token string) {
	t.Helper()
	if err := s.CreateToken(testContext(t), models.ClientToken{Token: token, Name: "chunks"}); err != nil {
		t.Fatal(err)
	}
}

// checkRows compares the rows read with those wanted, by name.
func checkRows[R comparable](t *testing.T, what string, got, want map[string]R) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d %s rows, want %d", len(got), what, len(want))
	}
	bad := 0
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			if bad++; bad <= 5 {
				t.Errorf("%s %s = %+v (found %v), want %+v", what, name, g, ok, w)
			}
		}
	}
}
