package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every variable Load reads is documented in the README's configuration
// table and listed in .env.example, so the docs cannot fall behind.
func TestEveryVariableIsDocumented(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`r\.\w+\("([A-Z0-9_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 20 {
		t.Fatalf("found only %d variables in config.go: the pattern is stale", len(names))
	}
	for _, m := range names {
		name := m[1]
		if !strings.Contains(string(readme), "| `"+name+"` |") {
			t.Errorf("%s is not in the README's configuration table", name)
		}
		if !regexp.MustCompile(`(?m)^#?\s*` + name + `=`).Match(example) {
			t.Errorf("%s is not in .env.example", name)
		}
	}
}
