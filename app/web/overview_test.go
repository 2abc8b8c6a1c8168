package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestWebOverviewShowsProviderFigures(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	a.record("ollama", "gpt-oss:120b", 1200, 1150)
	a.record("ollama", "qwen3:8b", 40, 40)

	resp, body := a.get("/dashboard", false)
	if resp.StatusCode != 200 || resp.Header.Get("Vary") == "" || !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
		t.Fatalf("overview: %d, Vary %q", resp.StatusCode, resp.Header.Get("Vary"))
	}
	for _, want := range []string{
		"<h1>Ollama overview</h1>", "<dd>1,240 ", "96.0 %", "1,190 ok · 50 failed", "<code>gpt-oss:120b</code>",
		`<script src="/static/echarts.min.js"></script>`, `id="trend"`, "1,240 requests in the last 24 hours",
		`aria-current="true" title="">Ollama</a>`, `aria-current="page">Overview</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Count(body, "echarts.init(") != 2 {
		t.Errorf("want the trend and the share chart, got %d charts", strings.Count(body, "echarts.init("))
	}

	// The other provider has its own, empty figures; the switch keeps other parameters.
	_, body = a.get("/dashboard?range=7d&provider=openrouter", false)
	for _, want := range []string{"<h1>OpenRouter overview</h1>", "0 requests in the last 7 days", "No requests yet.",
		`href="/dashboard?provider=ollama&amp;range=7d"`} {
		if !strings.Contains(body, want) {
			t.Errorf("openrouter overview lacks %q", want)
		}
	}
	if strings.Contains(body, "gpt-oss") {
		t.Error("openrouter overview shows ollama's models")
	}
}

func TestWebOverviewRangeSwitchIsAFragment(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	a.record("ollama", "m1", 3, 2)
	for _, tt := range []struct {
		query string
		words string
		hours int
	}{{"range=24h", "in the last 24 hours", 24}, {"range=7d", "in the last 7 days", 168}, {"range=30d", "in the last 30 days", 720}} {
		resp, body := a.get("/dashboard?provider=ollama&"+tt.query, true)
		if resp.StatusCode != 200 || tagRE.MatchString(body) || !strings.HasPrefix(body, `<section class="card" id="trend">`) ||
			!strings.Contains(body, "3 requests "+tt.words+": 2 successful, 1 failed.") || !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
			t.Fatalf("%s fragment: %d %.300s", tt.query, resp.StatusCode, body)
		}
		if oob := `<div id="provider-switch" data-hx-swap-oob="true">`; !strings.Contains(body, oob) ||
			!strings.Contains(body, `href="/dashboard?provider=openrouter&amp;`+tt.query+`"`) {
			t.Errorf("%s: no provider switch with the new range out of band", tt.query)
		}
		if n := strings.Count(body, `{"value":`); n != 3*tt.hours {
			t.Errorf("%s: %d points, want %d", tt.query, n, 3*tt.hours)
		}
	}
	if resp, body := a.get("/dashboard?range=1y", false); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "24h, 7d or 30d") {
		t.Fatalf("bad range: %d", resp.StatusCode)
	}
	if resp, body := a.get("/dashboard?provider=bogus", false); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "<h1>Not found</h1>") {
		t.Fatalf("unknown provider: %d %s", resp.StatusCode, body)
	}
}

// Model names come from clients: one that tries to close the script must
// stay inside its JSON string.
func TestWebChartEscapesModelNames(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	evil := `</script><script>alert(1)</script><!--`
	a.record("ollama", evil, 5, 5)
	_, body := a.get("/dashboard", false)
	if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<!--") {
		t.Fatal("a model name closed the chart's script")
	}
	if !strings.Contains(body, `\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\u003c!--`) || !strings.Contains(body, "&lt;/script&gt;&lt;script&gt;") {
		t.Fatal("the model name is missing from the chart or the table")
	}
}

func TestWebDashboardNeedsLogin(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	for _, path := range []string{"/dashboard", "/dashboard/keys", "/dashboard/settings", "/dashboard/nope"} {
		resp, _ := a.get(path, false)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s: %d → %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := a.get("/dashboard?range=7d", true)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("HX-Redirect") != "/login?next=%2Fdashboard%3Frange%3D7d" {
		t.Errorf("HTMX without session: %d HX-Redirect %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
	resp, body := a.get("/", false)
	for _, link := range []string{`href="/stats"`, `href="/api-docs"`, `href="/login"`} {
		if resp.StatusCode != 200 || !strings.Contains(body, link) {
			t.Errorf("landing page: %d, lacks %s", resp.StatusCode, link)
		}
	}
}

func TestWebDashboardPages(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	for _, tt := range []struct{ path, want string }{
		{"/dashboard/keys?provider=openrouter", "<h1>Keys · OpenRouter</h1>"},
		{"/dashboard/import", "<h1>Bulk upload · Ollama</h1>"},
		{"/dashboard/tokens", "<h1>Tokens · Ollama</h1>"},
		{"/stats", "<h1>Ollama statistics</h1>"},
		{"/api-docs", "<h1>API documentation</h1>"},
	} {
		resp, body := a.get(tt.path, false)
		if resp.StatusCode != 200 || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d, lacks %q", tt.path, resp.StatusCode, tt.want)
		}
	}
	resp, body := a.get("/dashboard/nope", false)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is no page at /dashboard/nope.") {
		t.Errorf("unknown dashboard page: %d", resp.StatusCode)
	}
}
