package store

import (
	"maps"
	"slices"
	"strings"

	"github.com/keypool/keypool/app/stats"
)

// keyCols are the columns of the VALUES rows of a key_stats chunk: the
// table's own names, then saw (the batch saw a success), which is not one.
var keyCols = []string{"api_key", "total_requests", "success_count", "failure_count", "prompt_tokens",
	"completion_tokens", "latency_ms_sum", "success_rate", "last_used", "last_success", "last_failure",
	"consecutive_failures", "saw"}

// keyTypes are keyCols' PostgreSQL types.
var keyTypes = []string{"text", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "float8",
	"timestamptz", "timestamptz", "timestamptz", "integer", "boolean"}

// keys adds to {prefix}_key_stats, only for keys that still exist: a key
// deleted since its requests must not make the whole batch fail on the
// foreign key. Each chunk first updates the rows that exist, then inserts
// the rest; a row is so written once, by the statement meant for it, and
// the saw flag (not a column) can steer consecutive_failures.
func (w *statsWriter) keys(deltas map[string]*stats.KeyDelta) {
	for part := range slices.Chunk(slices.Sorted(maps.Keys(deltas)), w.chunk()) {
		left := w.updateKeys(part, deltas)
		if len(left) == 0 {
			continue
		}
		left = w.insertKeys(left, deltas)
		if len(left) == 0 {
			continue
		}
		// Deleted keys, which match nothing, or rows another instance
		// inserted since the update: the insert waited for its commit, so
		// updating again finds them.
		w.updateKeys(left, deltas)
	}
}

// keyValues renders the CTE v of keyCols for names.
func (w *statsWriter) keyValues(names []string, deltas map[string]*stats.KeyDelta) (string, []any) {
	args := make([]any, 0, len(keyCols)*len(names))
	for _, k := range names {
		d := deltas[k]
		rate := 0.0
		if d.Requests > 0 {
			rate = float64(int64(10000*d.Success/d.Requests)) / 100
		}
		args = append(args, k, d.Requests, d.Success, d.Failure, d.PromptTokens, d.CompletionTokens, d.LatencyMs,
			rate, nullTime(d.LastUsed), nullTime(d.LastSuccess), nullTime(d.LastFailure), d.Trailing, d.SawSuccess)
	}
	rows, args := w.values(keyTypes, args)
	return `WITH v (` + strings.Join(keyCols, ", ") + `) AS (VALUES ` + rows + `) `, args
}

// updateKeys adds the deltas of names to their existing rows and returns
// the names that have none.
func (w *statsWriter) updateKeys(names []string, deltas map[string]*stats.KeyDelta) []string {
	t := w.s.table("key_stats")
	with, args := w.keyValues(names, deltas)
	updated := w.returning(with+`UPDATE `+t+` SET `+addCols(t, "v", "total_requests", "success_count", "failure_count",
		"prompt_tokens", "completion_tokens", "latency_ms_sum")+`,
			success_rate = ROUND(100.0 * (`+t+`.success_count + v.success_count) / (`+t+`.total_requests + v.total_requests), 2),
			last_used = `+w.latest(t+".last_used", "v.last_used")+`,
			last_success = `+w.latest(t+".last_success", "v.last_success")+`,
			last_failure = `+w.latest(t+".last_failure", "v.last_failure")+`,
			consecutive_failures = CASE WHEN v.saw THEN v.consecutive_failures
				ELSE `+t+`.consecutive_failures + v.consecutive_failures END
		FROM v WHERE `+t+`.api_key = v.api_key
		RETURNING `+t+`.api_key`, args)
	return missing(names, updated)
}

// insertKeys creates the rows of names whose key exists, skipping rows
// that exist by now, and returns the names it did not insert.
func (w *statsWriter) insertKeys(names []string, deltas map[string]*stats.KeyDelta) []string {
	t, keys := w.s.table("key_stats"), w.s.table("keys")
	cols := strings.Join(keyCols[:len(keyCols)-1], ", ")
	with, args := w.keyValues(names, deltas)
	inserted := w.returning(with+`INSERT INTO `+t+` (`+cols+`)
		SELECT `+cols+` FROM v WHERE EXISTS (SELECT 1 FROM `+keys+` k WHERE k.api_key = v.api_key)
		ON CONFLICT (api_key) DO NOTHING
		RETURNING api_key`, args)
	return missing(names, inserted)
}

// missing returns the names not in got, none after an error.
func missing(names []string, got map[string]bool) []string {
	if got == nil {
		return nil
	}
	var out []string
	for _, n := range names {
		if !got[n] {
			out = append(out, n)
		}
	}
	return out
}
