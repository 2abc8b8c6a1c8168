package store

import (
	"maps"
	"slices"

	"github.com/keypool/keypool/app/stats"
)

// tokens adds to the request counts of existing client tokens; a token
// deleted since its requests matches nothing.
func (w *statsWriter) tokens(deltas map[string]*stats.TokenDelta) {
	t := w.s.table("client_tokens")
	for part := range slices.Chunk(slices.Sorted(maps.Keys(deltas)), w.chunk()) {
		args := make([]any, 0, 3*len(part))
		for _, tok := range part {
			args = append(args, tok, deltas[tok].Requests, nullTime(deltas[tok].LastUsed))
		}
		rows, args := w.values([]string{"text", "bigint", "timestamptz"}, args)
		w.send(`WITH v (token, request_count, last_used_at) AS (VALUES `+rows+`)
			UPDATE `+t+` SET request_count = `+t+`.request_count + v.request_count,
				last_used_at = `+w.latest(t+".last_used_at", "v.last_used_at")+`
			FROM v WHERE `+t+`.token = v.token`, args)
	}
}
