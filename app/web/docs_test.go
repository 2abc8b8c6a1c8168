package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// Every catalogue entry is complete: a known section, an auth, and text
// and an example unless it repeats another entry, which must exist.
func TestWebDocsCatalogueIsComplete(t *testing.T) {
	sections := map[string]bool{}
	for _, s := range docSections {
		sections[s.ID] = true
	}
	byKey := map[string]routeDoc{}
	for _, d := range docCatalogue {
		if _, dup := byKey[d.key()]; dup {
			t.Errorf("%s is documented twice", d.key())
		}
		byKey[d.key()] = d
	}
	for _, d := range docCatalogue {
		switch {
		case !sections[d.Section] || d.Auth == "":
			t.Errorf("%s: section %q, auth %q", d.key(), d.Section, d.Auth)
		case d.Alias == "" && (d.Text == "" || !strings.HasPrefix(d.Example, "curl ") || !strings.Contains(d.Example, "{base}"+strings.SplitN(d.Path, ":", 2)[0])):
			t.Errorf("%s: text %q, example %q (a curl command at {base}%s)", d.key(), d.Text, d.Example, d.Path)
		case d.Alias != "" && (byKey[d.Alias].Path == "" || byKey[d.Alias].Alias != "" || !strings.HasPrefix(d.Alias, d.Method+" ")):
			t.Errorf("%s repeats %q, which is not a documented route of the same method", d.key(), d.Alias)
		}
	}
	if got := len(DocumentedRoutes()); got != len(docCatalogue) {
		t.Errorf("DocumentedRoutes lists %d of %d", got, len(docCatalogue))
	}
}

// The page lists the routes of the router's table with their entries,
// examples at the reader's URL; a route without an entry shows as
// undocumented. (app/gateway holds the whole gateway's table against it.)
func TestWebDocsListTheRouterTable(t *testing.T) {
	a := newTestApp(t, "sqlite", testConfig())
	a.app.Get("/admin/brand-new", func(c *fiber.Ctx) error { return nil })
	req := newGet("/api-docs")
	req.Host = "gateway.example:8080"
	resp, page := a.do(req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api-docs: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<code>http://gateway.example:8080/v1</code>`, `<code>http://gateway.example:8080/openrouter/v1</code>`,
		`curl &#39;http://gateway.example:8080/admin/stats?provider=ollama&#39;`, `data-route="GET /admin/public-stats"`,
		`data-route="DELETE /admin/api-keys/:key"`, `data-route="GET /stats"`, `id="errors"`, `from ollama import Client`,
		`<article class="route" data-route="GET /admin/brand-new" data-undocumented="true">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, absent := range []string{`data-route="GET /dashboard`, `data-route="GET /static/`, `data-route="POST /login"`,
		`data-route="HEAD `, `data-route="GET /"`, `data-route="POST /v1/chat/completions"`} {
		if strings.Contains(page, absent) {
			t.Errorf("the page lists %s…", absent)
		}
	}
}

// Visitors get the landing page with its three ways in; a signed-in
// admin goes to the dashboard.
func TestWebLandingPage(t *testing.T) {
	a := newTestApp(t, "sqlite", testConfig())
	resp, page := a.get("/", false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	for _, want := range []string{`href="/stats"`, `href="/api-docs"`, `href="/login"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the landing page lacks %s", want)
		}
	}
	a.login()
	if resp, _ := a.get("/", false); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("signed in, GET /: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
