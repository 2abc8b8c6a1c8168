package config

import (
	"os"
	"reflect"
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

// .env.example is in one form: every variable commented out as
// #NAME=default, where default is what Load uses when the variable is
// unset, and every group of variables below a comment explaining it.
func TestEnvExampleShowsDefaults(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	variable := regexp.MustCompile(`^#?\s*[A-Z][A-Z0-9_]*=`)
	form := regexp.MustCompile(`^#([A-Z][A-Z0-9_]*)=(.*)$`)
	explained := false // a comment is above, with only variables between
	for i, line := range strings.Split(string(example), "\n") {
		switch {
		case variable.MatchString(line):
			m := form.FindStringSubmatch(line)
			if m == nil {
				t.Errorf(".env.example:%d: %q: want #NAME=default", i+1, line)
				continue
			}
			if !explained {
				t.Errorf(".env.example:%d: %s has no comment above it saying what it is", i+1, m[1])
			}
			c, err := load(map[string]string{m[1]: m[2]})
			if err != nil || !reflect.DeepEqual(c, defaults) {
				t.Errorf(".env.example:%d: %s=%s is not the default (%v)", i+1, m[1], m[2], err)
			}
		case line == "" || strings.HasPrefix(line, "# ---"):
			explained = false
		case strings.HasPrefix(line, "# "):
			explained = true
		default:
			t.Errorf(".env.example:%d: %q is neither a comment nor a commented-out variable", i+1, line)
		}
	}
}
