package migrations

import (
	"bytes"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestForPrefix checks the prefix rewrite: every table, index and version
// of another provider is named with its own prefix (or, for the original
// project's index names, idx_ and its id), and nothing of the Ollama tables
// is left in its files.
func TestForPrefix(t *testing.T) {
	t.Parallel()
	created := regexp.MustCompile(`(?i)CREATE (?:UNIQUE )?(?:TABLE|INDEX) IF NOT EXISTS (\w+)`)
	for _, dialect := range []string{Postgres, SQLite} {
		for _, prefix := range []string{"openrouter_api", "ollama_api"} {
			t.Run(dialect+"/"+prefix, func(t *testing.T) {
				t.Parallel()
				fsys, err := forPrefix(dialect, prefix)
				if err != nil {
					t.Fatal(err)
				}
				sources, err := fs.ReadDir(files, dialect)
				if err != nil {
					t.Fatal(err)
				}
				tables := 0
				for _, src := range sources {
					data, err := fs.ReadFile(fsys, src.Name())
					if err != nil {
						t.Fatalf("rewritten %s missing: %v", src.Name(), err)
					}
					original, _ := fs.ReadFile(files, dialect+"/"+src.Name())
					if prefix == "ollama_api" && !bytes.Equal(data, original) {
						t.Errorf("%s changed for the prefix it is written with", src.Name())
					}
					if prefix != "ollama_api" && (bytes.Contains(data, []byte("ollama_api")) || bytes.Contains(data, []byte("idx_ollama"))) {
						t.Errorf("%s still names ollama_api or idx_ollama after the rewrite to %s", src.Name(), prefix)
					}
					for _, m := range created.FindAllSubmatch(data, -1) {
						name := string(m[1])
						if !strings.HasPrefix(name, prefix+"_") && !strings.HasPrefix(name, indexPrefix(prefix)) {
							t.Errorf("%s creates %s, outside %s_*", src.Name(), name, prefix)
						}
						if bytes.Contains(bytes.ToUpper(m[0]), []byte("TABLE")) {
							tables++
						}
					}
				}
				if tables != 8 { // the six of DESIGN.md, stats_flushes (0003) and settings (0004)
					t.Errorf("%d tables created, want the 8 of a provider", tables)
				}
			})
		}
	}
}
