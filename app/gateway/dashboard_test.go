package gateway_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypool/keypool/app/testkit/storetest"
)

// TestDashboardInBrowser drives the dashboard in headless Chromium against
// the real server: sign-in (refused, then in), the overview's charts, the
// HTMX range switch, the provider switch, settings (masked secrets, the
// HTMX provider toggle), the placeholder pages, logout and the landing
// page. Every page must log no console error and load nothing from another
// host; a screenshot of each is saved (DASHBOARD_SCREENSHOTS=dir keeps them).
func TestDashboardInBrowser(t *testing.T) {
	b := newBrowser(t)
	dialects := storetest.Dialects(t)
	e := newTestEnv(t, dialects[len(dialects)-1], map[string]string{"STATS_FLUSH_INTERVAL": "100ms"})
	e.importKeys("ollama", "sk-browser-key-one-0123456789", "sk-browser-key-two-0123456789")
	e.chatN(e.createToken("ollama"), 6)
	e.waitTotal(6)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Sign in: refused with a wrong token, then in.
	b.do(chromedp.Navigate(e.url+"/login"), chromedp.WaitVisible(css("#token")))
	b.page("login")
	b.do(chromedp.SendKeys(css("#token"), "wrong-token"), chromedp.Click(css(`button[type="submit"]`)),
		chromedp.WaitVisible(css(".flash.error")))
	if msg := b.text(".flash.error"); !strings.Contains(msg, "not the admin token") {
		t.Fatalf("wrong token: %q", msg)
	}
	b.mu.Lock()
	b.errors = expectedErrors(b.errors, "status of 401 (Unauthorized) "+e.url+"/login") // the refused sign-in
	b.mu.Unlock()
	b.page("login-refused")
	b.do(chromedp.SendKeys(css("#token"), adminToken), chromedp.Click(css(`button[type="submit"]`)),
		chromedp.WaitVisible(css("#trend canvas")))

	// The overview draws its charts from /static/.
	if h1 := b.text("h1"); h1 != "Ollama overview" {
		t.Fatalf("after login: h1 %q", h1)
	}
	for _, sel := range []string{"#trend", ".cols"} {
		sizes := b.canvasSizes(sel)
		if len(sizes) == 0 || sizes[0][0] == 0 || sizes[0][1] == 0 {
			t.Errorf("%s: canvases %v, want one with a size", sel, sizes)
		}
	}
	b.page("overview")

	// 24 h → 7 d swaps the chart alone: the page's own state survives.
	b.do(chromedp.Evaluate[chromedp.Void](`window.kpMarker = true; undefined`), chromedp.Click(css(`#trend a[href*="range=7d"]`)),
		chromedp.WaitVisible(`//section[@id="trend"]//p[contains(., "the last 7 days")]`), chromedp.WaitVisible(css("#trend canvas")))
	summary, search := b.text("#trend p.muted"), get(b, chromedp.Evaluate[string](`location.search`))
	if marker := get(b, chromedp.Evaluate[bool](`window.kpMarker === true`)); !marker ||
		!strings.Contains(summary, "6 requests in the last 7 days") || !strings.Contains(search, "range=7d") {
		t.Errorf("7 d switch: no reload %v, summary %q, URL %q", marker, summary, search)
	}
	b.page("overview-7d")

	// The other provider: its own, empty figures.
	b.do(chromedp.Click(css(`nav[aria-label="Provider"] a[href*="provider=openrouter"]`)),
		chromedp.WaitVisible(`//h1[.="OpenRouter overview"]`))
	if summary, share := b.text("#trend p.muted"), b.text(".cols .chart-empty"); !strings.Contains(summary, "0 requests in the last 7 days") ||
		share != "No requests yet." {
		t.Errorf("openrouter overview: %q / %q", summary, share)
	}
	b.page("overview-openrouter")

	// Settings: secrets masked.
	b.do(chromedp.Navigate(e.url+"/dashboard/settings"), chromedp.WaitVisible(css("dl.kv")))
	if text := b.text("main"); strings.Contains(text, adminToken) || !strings.Contains(text, "••••••••") || !strings.Contains(text, "ADMIN_TOKEN") {
		t.Errorf("settings page does not mask the admin token: %.500s", text)
	}
	b.page("settings")

	// The provider switch posts through HTMX (CSRF token in its header) and swaps its row.
	sw := `#provider-openrouter button[role="switch"]`
	b.do(chromedp.Click(css(sw)), chromedp.WaitVisible(css(`#provider-openrouter button[aria-checked="false"]`)),
		chromedp.WaitVisible(css("#toasts .flash")))
	if toast, sw := b.text("#toasts .flash"), b.text("#provider-switch"); !strings.Contains(toast, "OpenRouter is switched off") ||
		!strings.Contains(sw, "OpenRouter (off)") {
		t.Errorf("after switching off: toast %q, header switch %q", toast, sw)
	}
	if status, body, _ := e.do("GET", "/openrouter/v1/models", "", nil); status != 503 || !strings.Contains(string(body), "OpenRouter is disabled by administrator") {
		t.Errorf("openrouter switched off: /openrouter/v1/models answered %d", status)
	}
	b.page("settings-openrouter-off")
	b.do(chromedp.Click(css(sw)), chromedp.WaitVisible(css(`#provider-openrouter button[aria-checked="true"]`)))
	b.do(chromedp.EmulateViewport(375, 812), chromedp.Navigate(e.url+"/dashboard"), chromedp.WaitVisible(css("#trend canvas")))
	b.page("overview-375px")
	b.do(chromedp.EmulateViewport(1280, 900))
	for _, p := range []string{"keys", "import", "tokens"} {
		b.do(chromedp.Navigate(e.url+"/dashboard/"+p), chromedp.WaitVisible(css("main h1")))
		b.page(p)
	}

	// Logout, then the public landing page.
	b.do(chromedp.Click(css(`nav.nav button[type="submit"]`)), chromedp.WaitVisible(css("#token")),
		chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(css(`a[href="/stats"]`)))
	b.page("landing")

	server, _ := url.Parse(e.url)
	for host := range b.hosts {
		if host != server.Host {
			t.Errorf("the browser sent a request to %s, not the test server %s", host, server.Host)
		}
	}
}
