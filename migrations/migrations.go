// Package migrations holds Keypool's versioned SQL migrations, one folder
// per dialect, and applies them with goose.
//
// Every provider owns its own tables. The SQL files are written for the
// Ollama tables (ollama_api_*) so that they run as they are in a SQL editor;
// for another provider the same files are applied with the table prefix
// rewritten, and each provider keeps its own goose version table
// ({prefix}_goose_db_version), so enabling a provider later migrates only
// its tables.
package migrations

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"

	"github.com/pressly/goose/v3"
	gooselock "github.com/pressly/goose/v3/lock"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// sourcePrefix is the table prefix the SQL files are written with.
const sourcePrefix = "ollama_api_"

// sourceIndexPrefix is how the original project's index names begin for the
// Ollama tables (idx_ollama_keys_status); another provider's are named
// after its id (idx_openrouter_keys_status), the table prefix without _api.
const sourceIndexPrefix = "idx_ollama_"

// Dialects Keypool supports.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Option changes how Up runs.
type Option func(*options)

type options struct{ lock bool }

// WithLock holds a PostgreSQL session advisory lock while migrating, so
// that instances starting together migrate one after the other. Not for
// PgBouncer in transaction mode, where a session lock cannot be held.
func WithLock() Option { return func(o *options) { o.lock = true } }

// Up applies every pending migration for each table prefix and returns the
// versions applied, for a log line.
func Up(ctx context.Context, db *sql.DB, dialect string, prefixes []string, opts ...Option) ([]string, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var applied []string
	for _, prefix := range prefixes {
		p, err := newProvider(db, dialect, prefix, o.lock && dialect == Postgres)
		if err != nil {
			return applied, err
		}
		results, err := p.Up(ctx)
		if err != nil {
			return applied, fmt.Errorf("migrations: %s: %w", prefix, err)
		}
		for _, r := range results {
			applied = append(applied, fmt.Sprintf("%s:%s", prefix, r.Source.Path))
		}
	}
	return applied, nil
}

func newProvider(db *sql.DB, dialect, prefix string, lock bool) (*goose.Provider, error) {
	var gd goose.Dialect
	switch dialect {
	case Postgres:
		gd = goose.DialectPostgres
	case SQLite:
		gd = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	fsys, err := forPrefix(dialect, prefix)
	if err != nil {
		return nil, err
	}
	popts := []goose.ProviderOption{
		goose.WithTableName(prefix + "_goose_db_version"),
		goose.WithDisableGlobalRegistry(true),
	}
	if lock {
		locker, err := gooselock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migrations: lock: %w", err)
		}
		popts = append(popts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(gd, db, fsys, popts...)
}

// forPrefix returns the dialect's migrations with the table prefix
// rewritten from ollama_api_ to prefix_, and the original project's index
// names from idx_ollama_ to idx_{prefix without _api}_.
func forPrefix(dialect, prefix string) (fs.FS, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", dialect, err)
	}
	out := fstest.MapFS{}
	for _, e := range entries {
		data, err := fs.ReadFile(files, dialect+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: read %s: %w", e.Name(), err)
		}
		data = bytes.ReplaceAll(data, []byte(sourcePrefix), []byte(prefix+"_"))
		data = bytes.ReplaceAll(data, []byte(sourceIndexPrefix), []byte(indexPrefix(prefix)))
		out[e.Name()] = &fstest.MapFile{Data: data, Mode: 0o444}
	}
	return out, nil
}

// indexPrefix is how the original project began the index names of the
// tables named prefix_*: "ollama_api" → "idx_ollama_".
func indexPrefix(prefix string) string {
	return "idx_" + strings.TrimSuffix(prefix, "_api") + "_"
}
