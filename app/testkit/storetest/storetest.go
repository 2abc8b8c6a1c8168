// Package storetest gives integration tests a fresh database per test: a
// temporary SQLite file always, and a throwaway PostgreSQL database when
// TEST_DATABASE_URL is set (required when CI=true). A test that asks for
// PostgreSQL without it is skipped, or failed in CI, by the helpers
// themselves, so no test needs to check first.
//
//	for _, dialect := range storetest.Dialects(t) {
//		t.Run(dialect, func(t *testing.T) {
//			db := storetest.Open(t, dialect)
//			s := store.New(db, "ollama_api")
//			…
//		})
//	}
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/migrations"
)

// envURL names the variable holding the PostgreSQL server tests may use;
// each test gets its own database created there.
const envURL = "TEST_DATABASE_URL"

var skipOnce sync.Once

// Dialects returns the dialects to run a test against: always SQLite, and
// PostgreSQL when TEST_DATABASE_URL is set. In CI (CI=true) a missing
// TEST_DATABASE_URL fails the test instead of skipping PostgreSQL.
func Dialects(t testing.TB) []string {
	t.Helper()
	if os.Getenv(envURL) != "" {
		return []string{migrations.SQLite, migrations.Postgres}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("storetest: %s is not set; CI must run the PostgreSQL tests", envURL)
	}
	skipOnce.Do(func() { t.Logf("storetest: %s not set, PostgreSQL tests skipped", envURL) })
	return []string{migrations.SQLite}
}

// Open returns a fresh, empty database with every provider's tables
// migrated, closed (and on PostgreSQL dropped) when the test ends. Asked
// for PostgreSQL without TEST_DATABASE_URL it skips the test (fails it in CI).
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	databaseURL, dataDir := URL(t, dialect)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, databaseURL, dataDir)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, []string{"ollama_api", "openrouter_api"}); err != nil {
		t.Fatalf("storetest: migrate %s: %v", dialect, err)
	}
	return db
}

// URL returns a DATABASE_URL and a DATA_DIR for a test that starts the
// whole gateway (which migrates by itself): on PostgreSQL the URL of a
// fresh, empty database, dropped when the test ends; on SQLite an empty URL
// and a temporary DATA_DIR. Like Open it skips a PostgreSQL test (fails it
// in CI) when TEST_DATABASE_URL is unset.
func URL(t testing.TB, dialect string) (databaseURL, dataDir string) {
	t.Helper()
	dataDir = t.TempDir()
	switch dialect {
	case migrations.SQLite:
		return "", dataDir
	case migrations.Postgres:
		return createDatabase(t), dataDir
	}
	t.Fatalf("storetest: unknown dialect %q", dialect)
	return "", ""
}

// PostgresURL returns TEST_DATABASE_URL, skipping the test when it is
// unset, or failing it in CI (CI=true), where the PostgreSQL tests must run.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("storetest: %s is not set; CI must run the PostgreSQL tests", envURL)
		}
		t.Skipf("storetest: %s not set, PostgreSQL test skipped", envURL)
	}
	return u
}

// createDatabase creates keypool_t_<random> on the TEST_DATABASE_URL
// server, registers its drop, and returns its URL.
func createDatabase(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", envURL, err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "keypool_t_" + hex.EncodeToString(b[:])

	admin(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin(t, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// admin runs one statement on the TEST_DATABASE_URL database.
func admin(t testing.TB, base, statement string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, base, "")
	if err != nil {
		t.Fatalf("storetest: cannot reach the PostgreSQL of %s (is it running?): %v", envURL, err)
	}
	defer db.Close()
	if _, err := db.SQL.ExecContext(ctx, statement); err != nil {
		t.Fatalf("storetest: %s: %v", statement, err)
	}
}
