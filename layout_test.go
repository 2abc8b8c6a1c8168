package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// module is this module's path, trimmed from import paths below.
const module = "github.com/keypool/keypool/"

// layoutRules are the directions of imports the README's Layout section
// promises: package (or a prefix ending in "/...") → what it must not
// import (the same forms). Test files are not read: a test may wire
// anything together.
var layoutRules = []struct {
	pkg, forbidden, why string
}{
	{"app/proxy", "app/store", "the request path never touches the database"},
	{"views/...", "app/store", "views take view models, shaped like the screen"},
	{"views/...", "models", "views take view models, shaped like the screen"},
	{"app/admin", "app/web", "the two faces of the actions are siblings"},
	{"app/web", "app/admin", "the two faces of the actions are siblings"},
	{"app/operator", "github.com/gofiber/fiber/v2", "the actions know nothing of HTTP"},
	{"app/operator", "app/admin", "the actions sit under their faces"},
	{"app/operator", "app/web", "the actions sit under their faces"},
	{"app/backend", "app/operator", "the runtime sits under the actions"},
	{"app/...", "app/testkit/...", "only tests use the test kit"},
	{"app/...", "app/gateway", "the gateway assembles everything; nothing below it knows it"},
}

// storeMayImport is all app/store may import of this module: it sits
// below everything that holds state in memory.
var storeMayImport = map[string]bool{"models": true, "migrations": true, "app/stats": true}

// TestImportDirections reads every package's imports from go list and
// fails on one that goes the wrong way.
func TestImportDirections(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		imports[strings.TrimPrefix(p.ImportPath, module)] = p.Imports
	}
	if len(imports) < 20 || imports["app/proxy"] == nil || imports["app/store"] == nil {
		t.Fatalf("go list found %d packages; the rules would check nothing", len(imports))
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	layout := string(readme)
	if i := strings.Index(layout, "## Layout"); i >= 0 {
		layout = layout[i:]
		if j := strings.Index(layout[3:], "\n## "); j >= 0 {
			layout = layout[:j+3]
		}
	}
	for pkg := range imports {
		top, _, _ := strings.Cut(strings.TrimPrefix(pkg, "app/"), "/")
		if strings.HasPrefix(pkg, "app/") && !strings.Contains(layout, "app/"+top) {
			t.Errorf("%s is not in the README's Layout section", "app/"+top)
		}
	}
	for pkg, deps := range imports {
		for _, dep := range deps {
			dep = strings.TrimPrefix(dep, module)
			for _, r := range layoutRules {
				if matches(r.pkg, pkg) && matches(r.forbidden, dep) && !matches(r.forbidden, pkg) {
					t.Errorf("%s imports %s: %s", pkg, dep, r.why)
				}
			}
			if pkg == "app/store" && isOurs(dep) && !storeMayImport[dep] {
				t.Errorf("app/store imports %s: the store sits below the packages that use it", dep)
			}
		}
	}
}

// isOurs reports whether an import path (module prefix trimmed) is this
// module's.
func isOurs(dep string) bool {
	return strings.HasPrefix(dep, "app/") || dep == "models" || dep == "migrations" || strings.HasPrefix(dep, "views")
}

// matches reports whether pkg is pattern, or under it for "x/...".
func matches(pattern, pkg string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pkg == pattern
}

// The rules themselves: each catches the import it forbids.
func TestLayoutRulesMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, pkg string
		want         bool
	}{
		{"views/...", "views", true},
		{"views/...", "views/components", true},
		{"views/...", "viewsx", false},
		{"app/proxy", "app/proxy", true},
		{"app/proxy", "app/proxy/x", false},
		{"app/...", "app/testkit/fakeupstream", true},
	}
	for _, tt := range tests {
		if got := matches(tt.pattern, tt.pkg); got != tt.want {
			t.Errorf("matches(%q, %q) = %v", tt.pattern, tt.pkg, got)
		}
	}
}
