package gateway_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/web"
)

// Every route the gateway registers is on /api-docs with its own entry,
// and the documentation names no route the gateway lacks. Only the
// dashboard, its sign-in, the landing page, the assets and the HEADs that
// Fiber adds beside each GET are left out.
func TestAPIDocsDocumentEveryRoute(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	status, body, _ := e.do("GET", "/api-docs", "", nil)
	page := string(body)
	if status != http.StatusOK {
		t.Fatalf("GET /api-docs: %d %.300s", status, page)
	}
	table := e.gw.App().GetRoutes(true)
	gets := map[string]bool{}
	for _, r := range table {
		if r.Method == http.MethodGet {
			gets[r.Path] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range table {
		p := r.Path
		if (r.Method == http.MethodHead && gets[p]) || p == "/" || p == "/login" || p == "/logout" || p == "/dashboard" ||
			strings.HasPrefix(p, "/dashboard/") || strings.HasPrefix(p, "/static/") {
			continue
		}
		key := r.Method + " " + p
		registered[key] = true
		if !strings.Contains(page, `data-route="`+key+`"`) {
			t.Errorf("%s is registered but not on /api-docs", key)
		}
	}
	if len(registered) < 50 {
		t.Fatalf("only %d routes in the router's table: the walk is broken", len(registered))
	}
	for _, m := range regexp.MustCompile(`data-route="([^"]+)" data-undocumented`).FindAllStringSubmatch(page, -1) {
		t.Errorf("%s has no entry in app/web's docs catalogue (docs_catalogue.go, docs_admin.go)", m[1])
	}
	for _, key := range web.DocumentedRoutes() {
		if !registered[key] {
			t.Errorf("the docs catalogue documents %s, which the gateway does not register", key)
		}
	}
	for _, base := range []string{e.url + "/v1", e.url + "/openrouter/v1"} {
		if !strings.Contains(page, "<code>"+base+"</code>") {
			t.Errorf("the page lacks the SDK base URL %s", base)
		}
	}

	// A provider left out by DISABLE_*: its routes are neither served nor listed.
	e2 := newTestEnv(t, "sqlite", map[string]string{"DISABLE_OPENROUTER": "true"})
	_, body, _ = e2.do("GET", "/api-docs", "", nil)
	if page := string(body); strings.Contains(page, `data-route="POST /openrouter/v1/chat/completions"`) ||
		!strings.Contains(page, "DISABLE_OPENROUTER is set") || !strings.Contains(page, `data-route="POST /v1/chat/completions"`) {
		t.Errorf("OpenRouter disabled: %.2000s", page)
	}
}

// No upstream key, client token, token digest or key owner's name is on
// the public statistics of either provider, not even masked: not in the
// page, its HTMX refresh, the public JSON or the API documentation. The
// figures themselves are in the HTML, for clients without JavaScript.
func TestPublicStatsHideSecrets(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"STATS_FLUSH_INTERVAL": "100ms", "PUBLIC_STATS_TTL": "100ms"})
		plain := map[string][]string{}
		for _, p := range []string{"ollama", "openrouter"} {
			keys := []any{}
			for _, name := range []string{"alice", "bob", "carol"} {
				key := "sk-" + p + "-" + name + "-secret-0123456789abcdef"
				keys = append(keys, map[string]string{"api_key": key, "username": name + "." + p + "@owners.example"})
				if name == "carol" {
					e.fake.SetFault(key, fakeupstream401Quoting(key)) // fails over, quoting the key
				}
			}
			if status, body, _ := e.do("POST", "/admin/api-keys/import", adminToken, map[string]any{"keys": keys, "provider": p}); status != http.StatusOK {
				t.Fatalf("import: %d %s", status, body)
			}
			token := e.createToken(p)
			plain[p] = append(plain[p], token)
			for i := range 4 {
				if status, body, _ := e.do("POST", chatPath(p), token, chatBody(i%2 == 1)); status != http.StatusOK {
					t.Fatalf("%s chat %d: %d %s", p, i, status, body)
				}
			}
		}

		pages := map[string]string{}
		for _, p := range []string{"ollama", "openrouter"} {
			eventually(t, 10*time.Second, p+"'s figures on /stats", func() bool {
				_, body, _ := e.do("GET", "/stats?provider="+p, "", nil)
				pages["/stats?provider="+p] = string(body)
				return regexp.MustCompile(`<dt>Requests</dt><dd>4\s`).Match(body)
			})
			req, _ := http.NewRequest("GET", e.url+"/stats?provider="+p, nil)
			req.Header.Set("HX-Request", "true")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			pages["HTMX /stats?provider="+p] = readAll(t, resp)
			_, body, _ := e.do("GET", "/admin/public-stats?provider="+p, "", nil)
			pages["/admin/public-stats?provider="+p] = string(body)
		}
		_, body, _ := e.do("GET", "/api-docs", "", nil)
		pages["/api-docs"] = string(body)

		secrets := storedSecrets(t, e, plain)
		if len(secrets) < 2*(3*2+1+2) {
			t.Fatalf("only %d secrets read from the database: %q", len(secrets), secrets)
		}
		for name, page := range pages {
			for _, s := range secrets {
				if strings.Contains(page, s) || strings.Contains(page, html.EscapeString(s)) {
					t.Errorf("%s shows the stored secret %q", name, s)
				}
			}
		}
	})
}

// storedSecrets reads every key, username and token the database holds
// for both providers, with the forms they may take: masked keys, token
// digests with and without their "sha256:" prefix, plaintext tokens.
func storedSecrets(t *testing.T, e *testEnv, plain map[string][]string) []string {
	t.Helper()
	db, err := store.Open(context.Background(), e.cfg.DatabaseURL, e.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	read := func(query string, forms func(string) []string) {
		rows, err := db.Gorm.Raw(query).Rows()
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, forms(v)...)
		}
	}
	for _, prefix := range []string{"ollama_api", "openrouter_api"} {
		read(`SELECT api_key FROM `+prefix+`_keys`, func(k string) []string { return []string{k, redact.Key(k)} })
		read(`SELECT username FROM `+prefix+`_keys WHERE username <> ''`, func(u string) []string { return []string{u} })
		read(`SELECT token FROM `+prefix+`_client_tokens`, func(d string) []string {
			return []string{d, strings.TrimPrefix(d, "sha256:")}
		})
	}
	for _, tokens := range plain {
		for _, tok := range tokens {
			out = append(out, tok, digestOf(tok))
		}
	}
	return out
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
