package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/redistest"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

// Keys imported and deleted on a reach b within 2 s on either bus, and b
// reads only the keys imported, never the whole table.
func TestKeyNewsWithoutFullReads(t *testing.T) {
	t.Parallel()
	const stored = 200
	buses := []struct {
		name string
		make busMaker
	}{
		{"redis", redisBuses(redistest.URL(t))},
		{"postgres", postgresBuses},
	}
	for _, bc := range buses {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, migrations.Postgres)
			st := store.New(db, "ollama_api")
			base := make([]string, stored)
			for i := range base {
				base[i] = fmt.Sprintf("sk-base-%03d", i)
			}
			if _, err := st.InsertKeys(ctx, keyRows(base...)); err != nil {
				t.Fatal(err)
			}
			newBus := bc.make(t, db)
			a, b := start(t, st, newBus(), 0), start(t, st, newBus(), 0)
			within(t, 5*time.Second, "both subscribed", func() bool { return a.cl.Status().Listening && b.cl.Status().Listening })

			imported := keyRows("sk-new-0", "sk-new-1", "sk-new-2", "sk-new-3", "sk-new-4")
			importKeys := func(rows []models.Key) { // as the operator's import does
				if _, err := st.InsertKeys(ctx, rows); err != nil {
					t.Fatal(err)
				}
				a.pool.Add(rows)
			}
			deleteKeys := func(keys ...string) {
				if _, err := st.DeleteKeys(ctx, keys); err != nil {
					t.Fatal(err)
				}
				a.pool.Remove(keys...)
			}
			has := func(p *pool.Pool, key string) bool { _, ok := p.Get(key); return ok }
			steps := []struct {
				name string
				act  func()
				done func() bool
			}{
				{"an import on a is served by b", func() { importKeys(imported) },
					func() bool { return b.pool.Len() == stored+5 && has(b.pool, "sk-new-4") }},
				{"a key imported and failed at once on a is skipped by b", func() {
					importKeys(keyRows("sk-bad"))
					k, _ := a.pool.Get("sk-bad")
					a.pool.Mark(k, pool.Invalid, time.Time{})
				}, func() bool {
					k, ok := b.pool.Get("sk-bad")
					return ok && k.State().Status == models.StatusFailed
				}},
				{"a delete on a removes the keys from b", func() { deleteKeys("sk-new-0", "sk-base-007", "sk-bad") },
					func() bool {
						return b.pool.Len() == stored+3 && !has(b.pool, "sk-new-0") && !has(b.pool, "sk-base-007")
					}},
				{"a key deleted on a and imported again is back on b", func() { importKeys(keyRows("sk-new-0")) },
					func() bool { return has(b.pool, "sk-new-0") }},
			}
			for _, s := range steps {
				s.act()
				took := within(t, 2*time.Second, s.name, s.done)
				t.Logf("%s: %v", s.name, took.Round(time.Millisecond))
			}
			for name, in := range map[string]*instance{"a": a, "b": b} {
				if n := in.reads.lists.Load(); n != 1 {
					t.Errorf("%s read the whole key table %d times, want 1 (at its start)", name, n)
				}
			}
			// 7 keys imported; a neighbour created within the same
			// millisecond may come along, never the table.
			if n := b.reads.createdRows.Load(); n < 7 || n > 20 {
				t.Errorf("b read %d rows to learn of 7 imported keys", n)
			}
			stored := storedKeys(t, st)
			for name, in := range map[string]*instance{"a": a, "b": b} {
				if !holds(in.pool, stored...) {
					t.Errorf("%s holds %d keys, the store %d: not the same", name, in.pool.Len(), len(stored))
				}
			}
		})
	}
}

// A delete of 600 keys travels in messages within PostgreSQL's limit.
func TestManyRemovalsOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t, migrations.Postgres)
	st := store.New(db, "ollama_api")
	keys := make([]string, 600)
	for i := range keys {
		keys[i] = fmt.Sprintf("sk-gone-%03d", i)
	}
	if _, err := st.InsertKeys(ctx, keyRows(append(keys, "sk-kept")...)); err != nil {
		t.Fatal(err)
	}
	newBus := postgresBuses(t, db)
	a, b := start(t, st, newBus(), 0), start(t, st, newBus(), 0)
	within(t, 5*time.Second, "both subscribed", func() bool {
		a.cl.Changed("ollama", Switch)
		return b.switched.Load() > 0
	})
	if _, err := st.DeleteKeys(ctx, keys); err != nil {
		t.Fatal(err)
	}
	a.pool.Remove(keys...)
	within(t, 2*time.Second, "b drops all 600", func() bool { return holds(b.pool, "sk-kept") })
	if n := b.reads.lists.Load(); n != 1 {
		t.Errorf("b read the whole key table %d times, want 1 (at its start)", n)
	}
}

// What the queue of key news becomes on the bus.
func TestKeyNewsMessages(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
	t2 := t1.Add(time.Second)
	fps := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = pool.Fingerprint(fmt.Sprint("sk-", i))
		}
		return out
	}
	type shape struct {
		removed int
		added   *span
		changes []Change
	}
	tests := []struct {
		name string
		news []pool.KeyNews
		want []shape
	}{
		{"an import", []pool.KeyNews{{Added: 5, CreatedFrom: t1, CreatedTo: t1}},
			[]shape{{added: &span{t1, t1}}}},
		{"two imports: one span", []pool.KeyNews{{Added: 1, CreatedFrom: t2, CreatedTo: t2}, {Added: 1, CreatedFrom: t1, CreatedTo: t1}},
			[]shape{{added: &span{t1, t2}}}},
		{"an import at the zero time", []pool.KeyNews{{Added: 1}},
			[]shape{{added: &span{}}}},
		{"a delete", []pool.KeyNews{{Removed: fps(3)}}, []shape{{removed: 3}}},
		{"a key deleted twice", []pool.KeyNews{{Removed: fps(1)}, {Removed: fps(1)}}, []shape{{removed: 1}}},
		{"a delete of 600 and an import", []pool.KeyNews{{Removed: fps(600)}, {Added: 1, CreatedFrom: t1, CreatedTo: t1}},
			[]shape{{removed: 250}, {removed: 250}, {removed: 100, added: &span{t1, t1}}}},
		{"a delete too large", []pool.KeyNews{{Removed: fps(maxRemoved + 1)}, {Added: 1, CreatedFrom: t1, CreatedTo: t1}},
			[]shape{{changes: []Change{Keys}}}},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New(Config{})
			announce := c.KeysAnnouncer("openrouter")
			for _, n := range tt.news {
				announce(n)
			}
			msgs := c.take()
			var got []shape
			for _, m := range msgs {
				got = append(got, shape{removed: len(m.Removed), added: m.Added, changes: m.Changes})
				payload, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				if len(payload) > 8000 {
					t.Errorf("a message of %d bytes: PostgreSQL refuses more than 8,000", len(payload))
				}
				var back message
				if err := json.Unmarshal(payload, &back); err != nil || back.Added != nil && !back.Added.From.Equal(m.Added.From) {
					t.Errorf("the span does not survive JSON: %v, %+v", err, back.Added)
				}
			}
			sameShape := func(a, b shape) bool {
				return a.removed == b.removed && slices.Equal(a.changes, b.changes) &&
					(a.added == nil) == (b.added == nil) && (a.added == nil || *a.added == *b.added)
			}
			if !slices.EqualFunc(got, tt.want, sameShape) {
				t.Errorf("messages %+v, want %+v", got, tt.want)
			}
			if again := c.take(); len(again) != 0 {
				t.Errorf("the queue kept %d messages after take", len(again))
			}
		})
	}
}

// A message that removes a key and adds it back, or adds one that is gone
// again, is applied removals first: the pool ends as the store is.
func TestReceiveKeyNewsInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.Open(t, migrations.SQLite), "ollama_api")
	old := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if _, err := st.InsertKeys(ctx, []models.Key{{APIKey: "sk-again", CreatedAt: old}, {APIKey: "sk-kept", CreatedAt: old}}); err != nil {
		t.Fatal(err)
	}
	in := start(t, st, nil, 0)
	before, _ := in.pool.Get("sk-again")

	// Another instance deleted sk-again and imported it again, and imported
	// sk-brief and deleted it again, all before its message went out.
	now := old.Add(time.Hour)
	if _, err := st.DeleteKeys(ctx, []string{"sk-again"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertKeys(ctx, []models.Key{{APIKey: "sk-again", CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	m := message{From: "other", Provider: "ollama", Added: &span{now, now},
		Removed: []string{pool.Fingerprint("sk-again"), pool.Fingerprint("sk-brief")}}
	payload, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	in.cl.receive(ctx, payload)

	if !holds(in.pool, "sk-again", "sk-kept") {
		t.Errorf("pool holds %d keys, want sk-again and sk-kept", in.pool.Len())
	}
	if k, _ := in.pool.Get("sk-again"); k == before {
		t.Error("sk-again kept its old entry: the addition was applied before the removal")
	}
	if n := in.reads.lists.Load(); n != 1 {
		t.Errorf("read the whole key table %d times, want 1 (at the start)", n)
	}
}

// holds reports whether a pool holds exactly keys.
func holds(p *pool.Pool, keys ...string) bool {
	for _, k := range keys {
		if _, ok := p.Get(k); !ok {
			return false
		}
	}
	return p.Len() == len(keys)
}

// storedKeys lists the keys in the store.
func storedKeys(t *testing.T, st *store.Store) []string {
	t.Helper()
	keys, err := st.KeyNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
