package store_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
)

// chunkSizes cross the rows per statement of both dialects (SQLite 100,
// PostgreSQL 500).
var chunkSizes = []int{0, 1, 99, 100, 101, 499, 500, 501, 1200}

// TestWriteStatsChunks writes two batches of n rows per table: the first
// to the even rows, the second to all, with every fifth key and token
// deleted in between. It checks every column of every row against a model
// of the upserts: even rows add up, odd ones are new, deleted ones absent.
func TestWriteStatsChunks(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, db *store.DB) {
		for _, n := range chunkSizes {
			t.Run(fmt.Sprint(n), func(t *testing.T) { checkChunks(t, db, n) })
		}
	})
}

// checkChunks runs the scenario of TestWriteStatsChunks for n rows, on
// names of its own.
func checkChunks(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := testContext(t)
	s := store.New(db, "ollama_api")
	sc := newScenario(n)
	mustInsert(t, s, sc.keys...)
	for _, tok := range sc.tokens {
		mustCreateToken(t, s, tok)
	}
	before := readGlobal(t, db)
	if err := s.WriteStats(ctx, sc.batch(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteKeys(ctx, sc.gone(sc.keys)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTokens(ctx, sc.gone(sc.tokens)); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteStats(ctx, sc.batch(false)); err != nil {
		t.Fatal(err)
	}

	want := sc.want()
	checkRows(t, "key", readKeyRows(t, db, sc.prefix), want.keys)
	checkRows(t, "token", readTokenRows(t, db, sc.prefix), want.tokens)
	checkRows(t, "model", readModelRows(t, db, sc.prefix), want.models)
	checkRows(t, "hour", readHourRows(t, db, sc.prefix), want.hours)
	if got := subCounter(readGlobal(t, db), before); got != want.global {
		t.Errorf("global grew by %+v, want %+v", got, want.global)
	}
}

// scenario is the two batches of checkChunks and what they should leave.
type scenario struct {
	prefix       string
	keys, tokens []string
}

func newScenario(n int) scenario {
	sc := scenario{prefix: fmt.Sprintf("n%04d-", n)}
	for i := range n {
		sc.keys = append(sc.keys, fmt.Sprintf("%sk%04d", sc.prefix, i))
		sc.tokens = append(sc.tokens, fmt.Sprintf("%st%04d", sc.prefix, i))
	}
	return sc
}

// deleted reports whether row i is deleted between the batches.
func deleted(i int) bool { return i%5 == 3 }

func (sc scenario) gone(names []string) []string {
	var out []string
	for i, name := range names {
		if deleted(i) {
			out = append(out, name)
		}
	}
	return out
}

func (sc scenario) model(i int) string { return fmt.Sprintf("%sm%04d", sc.prefix, i) }

func (sc scenario) hour(i int) stats.HourKey {
	return stats.HourKey{Model: sc.model(i), Hour: hour0.Add(time.Duration(i%3) * time.Hour)}
}

// at is a time on row i's clock; zero for a negative offset (no event).
func at(sec int) time.Time {
	if sec < 0 {
		return time.Time{}
	}
	return hour0.Add(time.Duration(sec) * time.Second)
}

// keyDelta is row i's key delta in the first batch (first) or the second.
func keyDelta(i int, first bool) stats.KeyDelta {
	if first {
		fail := 1 - i%4/3 // one failure, none every fourth row
		return stats.KeyDelta{Counter: stats.Counter{Requests: 2, Success: 2 - int64(fail), Failure: int64(fail),
			PromptTokens: int64(i), CompletionTokens: 2 * int64(i), LatencyMs: 100 + int64(i)},
			LastUsed: at(50), LastSuccess: at(40), LastFailure: at(50*fail - 1*(1-fail)), SawSuccess: i%4 != 1, Trailing: i % 3}
	}
	r := int64(1 + i%3)
	ok := int64(i/2) % (r + 1)
	return stats.KeyDelta{Counter: stats.Counter{Requests: r, Success: ok, Failure: r - ok, PromptTokens: 7, CompletionTokens: 11,
		LatencyMs: int64(i % 1000)}, LastUsed: at(i % 90), LastSuccess: at(int(ok)*(i%90) - 1*b2i(ok == 0)),
		LastFailure: at(i%70 - 100*b2i(ok == r)), SawSuccess: ok > 0 && i%2 == 0, Trailing: int(r - ok)}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// batch builds the first batch (even rows only) or the second (all rows).
func (sc scenario) batch(first bool) *stats.Batch {
	b := &stats.Batch{Provider: "ollama", Keys: map[string]*stats.KeyDelta{}, Models: map[string]*stats.ModelDelta{},
		Hourly: map[stats.HourKey]*stats.Counter{}, Tokens: map[string]*stats.TokenDelta{}}
	for i := range sc.keys {
		if first && i%2 == 1 {
			continue
		}
		d := keyDelta(i, first)
		b.Keys[sc.keys[i]] = &d
		b.Tokens[sc.tokens[i]] = &stats.TokenDelta{Requests: d.Requests, LastUsed: d.LastUsed}
		b.Models[sc.model(i)] = &stats.ModelDelta{Counter: d.Counter, LastUsed: d.LastUsed}
		c := d.Counter
		b.Hourly[sc.hour(i)] = &c
		b.Global = addCounter(b.Global, d.Counter)
	}
	return b
}

// expected is every row checkChunks should find, by name.
type expected struct {
	keys   map[string]keyRow
	tokens map[string]tokenRow
	models map[string]modelRow
	hours  map[string]stats.Counter
	global stats.Counter
}

// want applies both batches to a model of the store's upserts.
func (sc scenario) want() expected {
	w := expected{keys: map[string]keyRow{}, tokens: map[string]tokenRow{}, models: map[string]modelRow{},
		hours: map[string]stats.Counter{}}
	for _, first := range []bool{true, false} {
		b := sc.batch(first)
		for i, k := range sc.keys {
			if deleted(i) && !first {
				delete(w.keys, k)
				delete(w.tokens, sc.tokens[i])
			}
			d, ok := b.Keys[k]
			if !ok {
				continue
			}
			w.global = addCounter(w.global, d.Counter)
			m, h := sc.model(i), hourName(sc.hour(i))
			w.models[m] = w.models[m].then(d.Counter, d.LastUsed)
			w.hours[h] = addCounter(w.hours[h], d.Counter)
			if deleted(i) && !first {
				continue
			}
			old, had := w.keys[k]
			w.keys[k] = old.then(*d, had)
			w.tokens[sc.tokens[i]] = w.tokens[sc.tokens[i]].then(d.Requests, d.LastUsed)
		}
	}
	return w
}

// then is the row after a key delta: the insert when the row is new
// (rate truncated in Go), the update otherwise (rate rounded in SQL).
func (r keyRow) then(d stats.KeyDelta, had bool) keyRow {
	n := keyRow{Counter: addCounter(r.Counter, d.Counter), Consecutive: int64(d.Trailing),
		LastUsed: later(r.LastUsed, d.LastUsed), LastSuccess: later(r.LastSuccess, d.LastSuccess),
		LastFailure: later(r.LastFailure, d.LastFailure)}
	if !had {
		n.Rate = float64(int64(10000*d.Success/d.Requests)) / 100
		return n
	}
	n.Rate = math.Round(10000*float64(n.Success)/float64(n.Requests)) / 100
	if !d.SawSuccess {
		n.Consecutive += r.Consecutive
	}
	return n
}

func (r tokenRow) then(n int64, used time.Time) tokenRow {
	return tokenRow{Requests: r.Requests + n, LastUsed: later(r.LastUsed, used)}
}

func (r modelRow) then(c stats.Counter, used time.Time) modelRow {
	return modelRow{Counter: addCounter(r.Counter, c), LastUsed: later(r.LastUsed, used)}
}

// later is the later of two times, the zero time standing for NULL.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func addCounter(a, b stats.Counter) stats.Counter {
	return stats.Counter{Requests: a.Requests + b.Requests, Success: a.Success + b.Success, Failure: a.Failure + b.Failure,
		PromptTokens: a.PromptTokens + b.PromptTokens, CompletionTokens: a.CompletionTokens + b.CompletionTokens,
		LatencyMs: a.LatencyMs + b.LatencyMs}
}
