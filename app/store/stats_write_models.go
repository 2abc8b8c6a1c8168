package store

import (
	"cmp"
	"maps"
	"slices"

	"github.com/keypool/keypool/app/stats"
)

// modelTypes and hourTypes are the PostgreSQL types of the VALUES rows of
// models and hours.
var (
	modelTypes = []string{"text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "timestamptz"}
	hourTypes  = []string{"text", "text", "timestamptz", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint"}
)

// models adds to {prefix}_model_stats, creating missing rows.
func (w *statsWriter) models(deltas map[string]*stats.ModelDelta) {
	t := w.s.table("model_stats")
	for part := range slices.Chunk(slices.Sorted(maps.Keys(deltas)), w.chunk()) {
		args := make([]any, 0, 9*len(part))
		for _, m := range part {
			d := deltas[m]
			args = append(args, w.provider, m, d.Requests, d.Success, d.Failure, d.PromptTokens, d.CompletionTokens,
				d.LatencyMs, nullTime(d.LastUsed))
		}
		rows, args := w.values(modelTypes, args)
		w.send(`INSERT INTO `+t+` (provider, model, total_requests, success_count, failure_count, prompt_tokens, completion_tokens, latency_ms_sum, last_used)
		VALUES `+rows+`
		ON CONFLICT (provider, model) DO UPDATE SET `+addCols(t, "excluded", "total_requests", "success_count", "failure_count",
			"prompt_tokens", "completion_tokens", "latency_ms_sum")+`, last_used = `+w.latest(t+".last_used", "excluded.last_used"),
			args)
	}
}

// hourRow is one row of {prefix}_model_hourly to add.
type hourRow struct {
	stats.HourKey
	stats.Counter
}

// hours adds to {prefix}_model_hourly, creating missing rows.
func (w *statsWriter) hours(deltas map[stats.HourKey]*stats.Counter) {
	t := w.s.table("model_hourly")
	for part := range slices.Chunk(hourRows(deltas), w.chunk()) {
		args := make([]any, 0, 9*len(part))
		for _, r := range part {
			args = append(args, w.provider, r.Model, r.Hour, r.Requests, r.Success, r.Failure, r.PromptTokens,
				r.CompletionTokens, r.LatencyMs)
		}
		rows, args := w.values(hourTypes, args)
		w.send(`INSERT INTO `+t+` (provider, model, hour, requests, success, failure, prompt_tokens, completion_tokens, latency_ms_sum)
		VALUES `+rows+`
		ON CONFLICT (provider, model, hour) DO UPDATE SET `+addCols(t, "excluded", "requests", "success", "failure",
			"prompt_tokens", "completion_tokens", "latency_ms_sum"),
			args)
	}
}

// hourRows returns the hourly deltas sorted, with hours in UTC and those
// naming the same row folded into one: one statement may not update a row
// twice.
func hourRows(deltas map[stats.HourKey]*stats.Counter) []hourRow {
	byRow := make(map[stats.HourKey]*hourRow, len(deltas))
	rows := make([]*hourRow, 0, len(deltas))
	for hk, c := range deltas {
		hk = stats.HourKey{Model: hk.Model, Hour: hk.Hour.UTC()}
		r, ok := byRow[hk]
		if !ok {
			r = &hourRow{HourKey: hk}
			byRow[hk] = r
			rows = append(rows, r)
		}
		r.Requests += c.Requests
		r.Success += c.Success
		r.Failure += c.Failure
		r.PromptTokens += c.PromptTokens
		r.CompletionTokens += c.CompletionTokens
		r.LatencyMs += c.LatencyMs
	}
	slices.SortFunc(rows, func(a, b *hourRow) int {
		return cmp.Or(cmp.Compare(a.Model, b.Model), a.Hour.Compare(b.Hour))
	})
	out := make([]hourRow, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	return out
}
