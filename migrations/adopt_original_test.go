package migrations_test

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/app/tokens"
	"github.com/keypool/keypool/migrations"
)

// userTables are the original project's user system: global, never
// created, changed or written by Keypool.
var userTables = []string{"ollama_api_users", "ollama_api_email_verification_codes",
	"ollama_api_user_access_tokens", "ollama_api_user_signins"}

// originalIndexes are the index names of the original's schema.sql.
var originalIndexes = []string{"keys_status", "keys_created", "key_stats_last_used",
	"model_stats_provider_model", "model_hourly_time", "model_hourly_provider"}

// execFile runs one of testdata's SQL files.
func execFile(t *testing.T, db *store.DB, name string) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(testContext(t), string(data)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestUpAdoptsOriginal16Tables migrates a database made by (a
// reconstruction of) the original's own schema.sql, with the rows of a live
// installation: its 16 tables are kept, the four user tables exactly as
// they were, each index exists once under the original's name, and tokens
// of deactivated users stay refused while the others work.
func TestUpAdoptsOriginal16Tables(t *testing.T) {
	t.Parallel()
	if !slices.Contains(storetest.Dialects(t), migrations.Postgres) {
		t.Skip("the original project ran on PostgreSQL only; needs TEST_DATABASE_URL")
	}
	ctx := testContext(t)
	db := openEmpty(t, migrations.Postgres)
	execFile(t, db, "original_schema.sql")
	execFile(t, db, "original_rows.sql")
	if n := len(columns(t, db)); n != 16 {
		t.Fatalf("the original schema made %d tables, want 16", n)
	}
	before := userSnapshot(t, db)

	if _, err := migrations.Up(ctx, db.SQL, db.Dialect, prefixes); err != nil {
		t.Fatalf("Up on the original database: %v", err)
	}
	if after := userSnapshot(t, db); !slices.Equal(after, before) {
		t.Errorf("the user tables changed:\n%s", diffLines(before, after))
	}
	tables := columns(t, db)
	for _, prefix := range prefixes {
		for table := range schema {
			if _, ok := tables[prefix+"_"+table]; !ok {
				t.Errorf("%s_%s missing after adoption", prefix, table)
			}
		}
	}
	for _, table := range userTables {
		if _, ok := tables[table]; !ok {
			t.Errorf("%s gone after adoption", table)
		}
	}
	if len(tables) != 16+2*3 { // + stats_flushes, settings and goose's version table per provider
		t.Errorf("%d tables after adoption, want 22: %v", len(tables), slices.Sorted(maps.Keys(tables)))
	}
	checkIndexes(t, db, originalIndexes)

	// The data still works: keys, counters, the upserts' unique keys.
	s := store.New(db, "ollama_api")
	if keys, err := s.ListKeys(ctx); err != nil || len(keys) != 2 {
		t.Errorf("ListKeys = %d keys, %v; want the 2 original ones", len(keys), err)
	}
	for _, q := range []string{
		`INSERT INTO ollama_api_model_hourly (provider, model, hour, requests) VALUES ('ollama', 'gpt-oss:120b', '2025-01-03 10:00:00+00', 1)
		 ON CONFLICT (provider, model, hour) DO UPDATE SET requests = ollama_api_model_hourly.requests + excluded.requests`,
		`INSERT INTO ollama_api_model_stats (provider, model, total_requests) VALUES ('ollama', 'gpt-oss:120b', 1)
		 ON CONFLICT (provider, model) DO UPDATE SET total_requests = ollama_api_model_stats.total_requests + excluded.total_requests`,
	} {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			t.Errorf("additive upsert on an adopted table: %v", err)
		}
	}
	var requests, total int64
	if err := db.SQL.QueryRowContext(ctx, `SELECT (SELECT requests FROM ollama_api_model_hourly),
		(SELECT total_requests FROM ollama_api_model_stats)`).Scan(&requests, &total); err != nil || requests != 6 || total != 501 {
		t.Errorf("counters after the upserts = %d, %d (%v); want 6, 501", requests, total, err)
	}

	// Deactivated users' tokens stay refused, in either provider's table.
	for prefix, want := range map[string]map[string]bool{
		"ollama_api":     {"tok-orig-banned": false, "tok-orig-active": true, "tok-orig-unlinked": true},
		"openrouter_api": {"tok-orig-or-banned": false, "tok-orig-or-active": true},
	} {
		set := tokens.New(store.New(db, prefix))
		if err := set.Load(ctx); err != nil {
			t.Fatal(err)
		}
		for token, ok := range want {
			if _, got := set.Lookup(token); got != ok {
				t.Errorf("%s: Lookup(%s) = %v, want %v", prefix, token, got, ok)
			}
			if set.Deactivated(token) == ok {
				t.Errorf("%s: Deactivated(%s) = %v, want %v", prefix, token, !ok, !ok)
			}
		}
	}

	if again, err := migrations.Up(ctx, db.SQL, db.Dialect, prefixes); err != nil || len(again) != 0 {
		t.Errorf("second Up = %v, %v; want nothing applied", again, err)
	}
	if after := userSnapshot(t, db); !slices.Equal(after, before) {
		t.Errorf("the second Up changed the user tables:\n%s", diffLines(before, after))
	}
}

// TestUpOriginalIndexNames: a fresh database gets the original's index
// names too (but key_stats_last_used, which only an adopted one keeps), and
// no index twice.
func TestUpOriginalIndexNames(t *testing.T) {
	t.Parallel()
	if !slices.Contains(storetest.Dialects(t), migrations.Postgres) {
		t.Skip("index names are PostgreSQL's concern; needs TEST_DATABASE_URL")
	}
	db := openEmpty(t, migrations.Postgres)
	if _, err := migrations.Up(testContext(t), db.SQL, db.Dialect, prefixes); err != nil {
		t.Fatal(err)
	}
	var fresh []string
	for _, name := range originalIndexes {
		if name != "key_stats_last_used" {
			fresh = append(fresh, name)
		}
	}
	checkIndexes(t, db, fresh)
}

// checkIndexes fails the test unless every provider has an index of each
// original name, and no table has two indexes on the same columns in the
// same order (ASC or DESC alike: a B-tree scans both ways) with the same
// method, operator classes and predicate.
func checkIndexes(t *testing.T, db *store.DB, names []string) {
	t.Helper()
	rows, err := db.SQL.QueryContext(testContext(t), `SELECT c.relname, ic.relname,
		am.amname || ' ' || i.indkey::text || ' ' || i.indclass::text || ' ' ||
		COALESCE(pg_get_expr(i.indexprs, i.indrelid), '') || ' ' || COALESCE(pg_get_expr(i.indpred, i.indrelid), '')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_am am ON am.oid = ic.relam JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	indexes := map[string]bool{}
	covers := map[string][]string{}
	for rows.Next() {
		var table, index, cols string
		if err := rows.Scan(&table, &index, &cols); err != nil {
			t.Fatal(err)
		}
		indexes[index] = true
		covers[table+" "+cols] = append(covers[table+" "+cols], index)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for cols, idx := range covers {
		if len(idx) > 1 {
			t.Errorf("indexes %v cover the same columns (%s)", idx, cols)
		}
	}
	for _, provider := range []string{"ollama", "openrouter"} {
		for _, name := range names {
			if full := "idx_" + provider + "_" + name; !indexes[full] {
				t.Errorf("index %s missing", full)
			}
		}
	}
}

// userSnapshot describes the user tables whole: columns with their types,
// defaults and nullability, indexes, constraints, triggers and every row.
func userSnapshot(t *testing.T, db *store.DB) []string {
	t.Helper()
	in := "('" + strings.Join(userTables, "', '") + "')"
	queries := []string{
		`SELECT table_name || '.' || column_name || ' #' || ordinal_position || ' ' || data_type ||
		 ' null=' || is_nullable || ' default=' || COALESCE(column_default, '')
		 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN ` + in,
		`SELECT tablename || ' ' || indexname || ' ' || indexdef FROM pg_indexes
		 WHERE schemaname = current_schema() AND tablename IN ` + in,
		`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		 WHERE conrelid::regclass::text IN ` + in,
		`SELECT tgrelid::regclass::text || ' ' || tgname FROM pg_trigger
		 WHERE NOT tgisinternal AND tgrelid::regclass::text IN ` + in,
	}
	for _, table := range userTables {
		queries = append(queries, fmt.Sprintf(`SELECT '%[1]s ' || COALESCE(json_agg(r ORDER BY r.id)::text, '[]') FROM %[1]s r`, table))
	}
	var out []string
	for _, q := range queries {
		rows, err := db.SQL.QueryContext(testContext(t), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out = append(out, line)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	if len(out) < 4*3 {
		t.Fatalf("user snapshot has %d lines: the tables are missing", len(out))
	}
	return out
}

// diffLines lists the lines only one side has.
func diffLines(before, after []string) string {
	var b strings.Builder
	for _, l := range before {
		if !slices.Contains(after, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range after {
		if !slices.Contains(before, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
