package gateway_test

import (
	"context"
	"testing"

	"github.com/keypool/keypool/app/store"
)

// tables reads the statistics tables of a provider straight from the
// database, for comparing with what clients and the upstream counted.
type tables struct {
	Global struct{ Total, Success, Failure, Prompt, Completion int64 }
	Models map[string][3]int64 // total, success, failure
	Hourly map[string][3]int64 // summed over hours
	Keys   map[string]keyRow
	Tokens map[string]int64 // digest → request_count
	Tok    [2]int64         // prompt, completion over model_stats
}

type keyRow struct{ Total, Success, Failure, Prompt, Completion int64 }

// readTables opens the env's database and reads one provider's figures.
func (e *testEnv) readTables(t testing.TB, prefix string) tables {
	t.Helper()
	db, err := store.Open(context.Background(), e.cfg.DatabaseURL, e.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := db.Gorm
	var tb tables
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Raw(`SELECT total_requests, success_count, failure_count, prompt_tokens, completion_tokens FROM `+prefix+`_global_stats WHERE id = 'global'`).
		Row().Scan(&tb.Global.Total, &tb.Global.Success, &tb.Global.Failure, &tb.Global.Prompt, &tb.Global.Completion))

	scan3 := func(query string) map[string][3]int64 {
		rows, err := g.Raw(query).Rows()
		must(err)
		defer rows.Close()
		out := map[string][3]int64{}
		for rows.Next() {
			var name string
			var v [3]int64
			must(rows.Scan(&name, &v[0], &v[1], &v[2]))
			out[name] = v
		}
		must(rows.Err())
		return out
	}
	tb.Models = scan3(`SELECT model, total_requests, success_count, failure_count FROM ` + prefix + `_model_stats`)
	tb.Hourly = scan3(`SELECT model, SUM(requests), SUM(success), SUM(failure) FROM ` + prefix + `_model_hourly GROUP BY model`)
	must(g.Raw(`SELECT COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0) FROM `+prefix+`_model_stats`).Row().Scan(&tb.Tok[0], &tb.Tok[1]))

	rows, err := g.Raw(`SELECT api_key, total_requests, success_count, failure_count, prompt_tokens, completion_tokens FROM ` + prefix + `_key_stats`).Rows()
	must(err)
	tb.Keys = map[string]keyRow{}
	for rows.Next() {
		var k string
		var r keyRow
		must(rows.Scan(&k, &r.Total, &r.Success, &r.Failure, &r.Prompt, &r.Completion))
		tb.Keys[k] = r
	}
	rows.Close()

	rows, err = g.Raw(`SELECT token, request_count FROM ` + prefix + `_client_tokens`).Rows()
	must(err)
	tb.Tokens = map[string]int64{}
	for rows.Next() {
		var tok string
		var n int64
		must(rows.Scan(&tok, &n))
		tb.Tokens[tok] = n
	}
	rows.Close()
	return tb
}
