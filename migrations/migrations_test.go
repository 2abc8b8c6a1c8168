package migrations_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/migrations"
)

var prefixes = []string{"ollama_api", "openrouter_api"}

// schema is every provider table's columns with their PostgreSQL types, as
// DESIGN.md lists them (a migration that adds columns adds them here).
var schema = map[string][]string{
	"keys": {"api_key text", "username text", "status text", "created_at timestamptz",
		"expires_at timestamptz", "failed_until timestamptz", "disabled_until timestamptz",
		"consecutive_failures integer",
		"rpm_limit integer"}, // 0005
	"key_stats": {"api_key text", "total_requests bigint", "success_count bigint", "failure_count bigint",
		"success_rate numeric", "last_used timestamptz", "last_success timestamptz",
		"last_failure timestamptz", "consecutive_failures integer",
		"prompt_tokens bigint", "completion_tokens bigint", "latency_ms_sum bigint"}, // 0002
	"client_tokens": {"token text", "name text", "created_at timestamptz", "expires_at timestamptz",
		"request_count bigint", "last_used_at timestamptz", // 0002
		"token_prefix text",                       // 0004
		"rpm_limit integer", "tpm_limit integer"}, // 0005
	"global_stats": {"id text", "total_requests bigint", "success_count bigint", "failure_count bigint",
		"updated_at timestamptz", "prompt_tokens bigint", "completion_tokens bigint", "latency_ms_sum bigint"}, // 0002
	"model_stats": {"id integer", "provider text", "model text", "total_requests bigint",
		"success_count bigint", "failure_count bigint", "last_used timestamptz",
		"prompt_tokens bigint", "completion_tokens bigint", "latency_ms_sum bigint"}, // 0002
	// created_at: the original project's cleanup query expects it.
	"model_hourly": {"id integer", "provider text", "model text", "hour timestamptz",
		"requests bigint", "success bigint", "failure bigint", "created_at timestamptz",
		"prompt_tokens bigint", "completion_tokens bigint", "latency_ms_sum bigint"}, // 0002
	"stats_flushes": {"id text", "applied_at timestamptz"},                // 0003
	"settings":      {"key text", "value text", "updated_at timestamptz"}, // 0004
}

// sqliteTypes maps the PostgreSQL types above to the SQLite files' types.
var sqliteTypes = map[string]string{
	"text": "TEXT", "timestamptz": "DATETIME", "integer": "INTEGER", "bigint": "INTEGER", "numeric": "REAL",
}

// openEmpty opens a fresh database with no tables.
func openEmpty(t *testing.T, dialect string) *store.DB {
	t.Helper()
	databaseURL, dataDir := storetest.URL(t, dialect)
	db, err := store.Open(testContext(t), databaseURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// columns returns every table of db with its "column type" list, sorted;
// types are PostgreSQL's short names on PostgreSQL and declared types on
// SQLite.
func columns(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	query := `SELECT c.table_name, c.column_name,
		CASE c.data_type WHEN 'timestamp with time zone' THEN 'timestamptz' ELSE c.data_type END
		FROM information_schema.columns c JOIN information_schema.tables t
		  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`
	if db.Dialect == migrations.SQLite {
		query = `SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	}
	rows, err := db.SQL.QueryContext(testContext(t), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var table, column, typ string
		if err := rows.Scan(&table, &column, &typ); err != nil {
			t.Fatal(err)
		}
		got[table] = append(got[table], column+" "+typ)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cols := range got {
		slices.Sort(cols)
	}
	return got
}

// wantColumns is schema for every prefix in the dialect's types, plus
// goose's version table of each prefix.
func wantColumns(t *testing.T, dialect string) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	for _, prefix := range prefixes {
		for table, cols := range schema {
			var typed []string
			for _, c := range cols {
				name, typ, _ := strings.Cut(c, " ")
				if dialect == migrations.SQLite {
					typ = sqliteTypes[typ]
				}
				typed = append(typed, name+" "+typ)
			}
			slices.Sort(typed)
			want[prefix+"_"+table] = typed
		}
		want[prefix+"_goose_db_version"] = nil // columns are goose's business
	}
	return want
}

func TestUp(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openEmpty(t, dialect)
			applied, err := migrations.Up(testContext(t), db.SQL, db.Dialect, prefixes)
			if err != nil {
				t.Fatalf("Up: %v", err)
			}
			if len(applied) == 0 {
				t.Error("Up on an empty database applied nothing")
			}
			got, want := columns(t, db), wantColumns(t, dialect)
			if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
				t.Fatalf("tables =\n  %v\nwant\n  %v", g, w)
			}
			for table, cols := range want {
				if cols != nil && !slices.Equal(got[table], cols) {
					t.Errorf("%s columns =\n  %v\nwant\n  %v", table, got[table], cols)
				}
			}

			// A second run (the next start) changes nothing.
			again, err := migrations.Up(testContext(t), db.SQL, db.Dialect, prefixes)
			if err != nil || len(again) != 0 {
				t.Errorf("second Up = %v, %v; want nothing applied", again, err)
			}
			if after := columns(t, db); !maps.EqualFunc(after, got, slices.Equal) {
				t.Errorf("second Up changed the schema")
			}
			for _, prefix := range prefixes {
				var n int
				q := fmt.Sprintf("SELECT count(*) FROM %s_global_stats WHERE id = 'global'", prefix)
				if err := db.SQL.QueryRowContext(testContext(t), q).Scan(&n); err != nil || n != 1 {
					t.Errorf("%s_global_stats has %d 'global' rows (%v), want 1", prefix, n, err)
				}
			}
		})
	}
}

func TestUpUnknownDialect(t *testing.T) {
	t.Parallel()
	if _, err := migrations.Up(t.Context(), nil, "mysql", prefixes); err == nil {
		t.Error("Up with dialect mysql: no error")
	}
}

// TestUpOneProvider checks that migrating one provider (the other being
// disabled) creates only its own tables.
func TestUpOneProvider(t *testing.T) {
	t.Parallel()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openEmpty(t, dialect)
			if _, err := migrations.Up(testContext(t), db.SQL, db.Dialect, []string{"openrouter_api"}); err != nil {
				t.Fatal(err)
			}
			want := wantColumns(t, dialect)
			tables := columns(t, db)
			if len(tables) != len(schema)+1 {
				t.Errorf("%d tables, want %d and a version table", len(tables), len(schema))
			}
			for table, cols := range tables {
				if !strings.HasPrefix(table, "openrouter_api_") {
					t.Errorf("table %s created for openrouter_api", table)
				}
				if want[table] != nil && !slices.Equal(cols, want[table]) {
					t.Errorf("%s columns = %v, want %v", table, cols, want[table])
				}
			}
		})
	}
}
