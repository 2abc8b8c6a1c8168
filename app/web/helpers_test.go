package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
)

const testAdminToken = "web-test-admin-token-0123456789"

// testApp is the pages of both providers on a fresh database, behind a
// Fiber app, with a browser-like cookie jar.
type testApp struct {
	t         testing.TB
	app       *fiber.App
	h         *Handler
	db        *store.DB
	providers map[string]*backend.Provider
	cookies   map[string]string
}

// newTestApp builds the pages on a fresh database of the dialect; cfg's
// zero fields get test values.
func newTestApp(t testing.TB, dialect string, cfg config.Config) *testApp {
	t.Helper()
	db := storetest.Open(t, dialect)
	if cfg.AdminToken == "" {
		cfg.AdminToken = testAdminToken
	}
	log := slog.New(slog.DiscardHandler)
	providers := map[string]*backend.Provider{}
	for _, id := range []string{provider.Ollama, provider.OpenRouter} {
		p, err := backend.New(t.Context(), backend.Config{Log: log}, provider.New(id, "http://upstream.invalid"), db)
		if err != nil {
			t.Fatal(err)
		}
		providers[id] = p
	}
	ops := operator.New(operator.Config{PublicStatsTTL: cfg.PublicStatsTTL}, providers, log)
	if err := ops.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	t.Cleanup(func() { // the jobs the pages started end before the database closes
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ops.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	h, err := New(Deps{Config: cfg, Providers: providers, Stats: ops, DB: db, DBName: "test database", Log: log,
		Public: ops, Routes: func() []fiber.Route { return app.GetRoutes(true) },
		Keys: ops, Imports: ops, Tokens: ops, Jobs: ops})
	if err != nil {
		t.Fatal(err)
	}
	admin.New(cfg.AdminToken, ops, log).Routes(app) // /admin/public-stats shares the /stats page's cache
	h.Routes(app)
	return &testApp{t: t, app: app, h: h, db: db, providers: providers, cookies: map[string]string{}}
}

// do sends a request with the jar's cookies, keeps the cookies it sets,
// and returns the response and its body.
func (a *testApp) do(req *http.Request) (*http.Response, string) {
	a.t.Helper()
	for name, v := range a.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	resp, err := a.app.Test(req, 10_000)
	if err != nil {
		a.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(a.cookies, c.Name)
		} else {
			a.cookies[c.Name] = c.Value
		}
	}
	return resp, string(body)
}

// get sends GET path; htmx makes it an HTMX request.
func (a *testApp) get(path string, htmx bool) (*http.Response, string) {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	return a.do(req)
}

// post sends a form, adding the CSRF token of the jar unless form has one.
func (a *testApp) post(path string, form url.Values, header map[string]string) (*http.Response, string) {
	a.t.Helper()
	if _, ok := form["_csrf"]; !ok && a.cookies[csrfCookie] != "" {
		form.Set("_csrf", a.cookies[csrfCookie])
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return a.do(req)
}

// login signs in with the admin token and checks that it worked.
func (a *testApp) login() {
	a.t.Helper()
	a.get("/login", false)
	resp, body := a.post("/login", url.Values{"token": {testAdminToken}}, nil)
	if resp.StatusCode != http.StatusSeeOther || a.cookies[sessionCookie] == "" {
		a.t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
}

// record writes n requests of model now, ok of them successful, to the
// provider's statistics, as the aggregator would.
func (a *testApp) record(providerID, model string, n, ok int64) {
	a.t.Helper()
	now := time.Now().UTC()
	c := stats.Counter{Requests: n, Success: ok, Failure: n - ok}
	b := &stats.Batch{Provider: providerID, Global: c,
		Models: map[string]*stats.ModelDelta{model: {Counter: c, LastUsed: now}},
		Hourly: map[stats.HourKey]*stats.Counter{{Model: model, Hour: now.Truncate(time.Hour)}: &c}}
	if err := a.providers[providerID].Store.WriteStats(a.t.Context(), b); err != nil {
		a.t.Fatal(err)
	}
}

// tagRE finds start tags, to check that an HTML fragment is not a page.
var tagRE = regexp.MustCompile(`<(html|head|body)[\s>]`)

// Secrets of testConfig that no page may show.
const (
	dbPassword    = "db-secret-pw"
	redisPassword = "redis-secret-pw"
)

// testConfig is a configuration with secrets in every place they can be.
func testConfig() config.Config {
	return config.Config{
		DatabaseURL: "postgres://keypool:" + dbPassword + "@db.internal:5432/keypool?sslmode=disable",
		RedisURL:    "redis://:" + redisPassword + "@cache.internal:6379/0",
		AdminToken:  testAdminToken, DataDir: "./data", ListenAddr: ":8080", LogLevel: "info",
		OllamaBaseURL: "https://ollama.com", OpenRouterBaseURL: "https://openrouter.ai/api", MaxRetries: 3,
		KeyCooldown: time.Hour, StatsEnabled: true, StatsRetentionDays: 30,
	}
}

func newGet(path string) *http.Request { return httptest.NewRequest(http.MethodGet, path, nil) }
