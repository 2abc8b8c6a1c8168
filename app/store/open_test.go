package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keypool/keypool/app/store"
)

// The SQLite file holds the upstream keys in the clear: it is created
// readable by its owner only, like the admin token, and so are SQLite's
// -wal and -shm files beside it; a file already there keeps its mode.
func TestSQLiteFileIsPrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.Open(testContext(t), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(testContext(t), []string{"ollama_api"}); err != nil { // writes: the WAL appears
		t.Fatal(err)
	}
	for _, name := range []string{"keypool.db", "keypool.db-wal", "keypool.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, mode)
		}
	}
	db.Close()

	// sqlite:PATH: the same; an existing file is left as the operator made it.
	own := filepath.Join(t.TempDir(), "own.db")
	shared := filepath.Join(t.TempDir(), "shared.db")
	if err := os.WriteFile(shared, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{own: 0o600, shared: 0o640} {
		db, err := store.Open(testContext(t), "sqlite:"+path, "")
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", filepath.Base(path), fi.Mode().Perm(), want)
		}
	}
}

// TestSQLitePathWithURICharacters: a data directory whose name holds
// characters that mean something in a URI (#, ?, %) still gets its
// database file there, private, and nowhere else — the path once went
// into the file: URI as it was, so "data#1" opened "data" instead.
func TestSQLitePathWithURICharacters(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"data#1", "data?x=1", "data%231", "plain"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			dir := filepath.Join(parent, name)
			db, err := store.Open(testContext(t), "", dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(testContext(t), []string{"ollama_api"}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			fi, err := os.Stat(filepath.Join(dir, "keypool.db"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
				t.Errorf("keypool.db: %d bytes, mode %v; want the migrated database, 0600", fi.Size(), fi.Mode().Perm())
			}
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != name {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("beside the data directory: %q, want only %q", names, name)
			}
		})
	}
}
