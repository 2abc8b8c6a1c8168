package gateway_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keypool/keypool/app/testkit/storetest"
)

// figureJS reads a figure of the public statistics page by its label.
func figureJS(label string) string {
	return `(function () { for (const s of document.querySelectorAll("#public-stats .stat")) {
		if (s.querySelector("dt").textContent.trim() === ` + strconv.Quote(label) + `) return s.querySelector("dd").firstChild.textContent.trim(); }
		return ""; })()`
}

// TestPublicStatsInBrowser opens /stats in headless Chromium: its charts
// draw from /static/, and after more requests are proxied the page's own
// HTMX refresh (every second here, STATS_PAGE_REFRESH) shows the new
// figures without reloading the page. No console error; screenshots of
// both providers and of /api-docs are saved (DASHBOARD_SCREENSHOTS=dir
// keeps them).
func TestPublicStatsInBrowser(t *testing.T) {
	b := newBrowser(t)
	dialects := storetest.Dialects(t)
	e := newTestEnv(t, dialects[len(dialects)-1], map[string]string{"STATS_FLUSH_INTERVAL": "100ms",
		"PUBLIC_STATS_TTL": "200ms", "STATS_PAGE_REFRESH": "1s"})
	e.importKeys("ollama", "sk-stats-browser-one-0123456789", "sk-stats-browser-two-0123456789")
	token := e.createToken("ollama")
	e.chatN(token, 3)
	e.waitTotal(3)
	time.Sleep(300 * time.Millisecond) // past PUBLIC_STATS_TTL: no figures cached before the flush
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	b.do(chromedp.Navigate(e.url+"/stats"), chromedp.WaitVisible(css("#public-trend canvas")), chromedp.WaitVisible(css("#public-share canvas")))
	for _, sel := range []string{"#public-trend", "#public-share"} {
		sizes := b.canvasSizes(sel)
		if len(sizes) == 0 || sizes[0][0] == 0 || sizes[0][1] == 0 {
			t.Errorf("%s: canvases %v, want one with a size", sel, sizes)
		}
	}
	if got := get(b, chromedp.Evaluate[string](figureJS("Requests"))); got != "3" {
		t.Fatalf("Requests figure %q, want 3", got)
	}
	if got := get(b, chromedp.Evaluate[string](figureJS("Keys"))); got != "2" {
		t.Errorf("Keys figure %q, want 2", got)
	}
	b.page("stats")

	// More requests: the refresh brings them, the page itself stays.
	b.do(chromedp.Evaluate[chromedp.Void](`window.kpMarker = true; window.kpSwaps = 0;
		document.body.addEventListener("htmx:afterSwap", function () { window.kpSwaps++; }); undefined`))
	e.chatN(token, 4)
	e.waitTotal(7)
	if !get(b, chromedp.Poll[bool](figureJS("Requests")+` === "7"`, chromedp.WithPollingTimeout(15*time.Second))) {
		t.Fatal("the Requests figure did not become 7")
	}
	b.do(chromedp.WaitVisible(css("#public-trend canvas")), chromedp.WaitVisible(css("#public-share canvas")))
	if marker, swaps := get(b, chromedp.Evaluate[bool](`window.kpMarker === true`)), get(b, chromedp.Evaluate[int](`window.kpSwaps`)); !marker || swaps < 1 {
		t.Errorf("after the refresh: page kept %v, HTMX swaps %d", marker, swaps)
	}
	if charts := get(b, chromedp.Evaluate[int](`document.querySelectorAll("#public-stats .chart-box").length`)); charts != 2 {
		t.Errorf("%d charts on the page after the refresh, want 2 (the old ones removed)", charts)
	}
	for _, sel := range []string{"#public-trend", "#public-share"} {
		if sizes := b.canvasSizes(sel); len(sizes) != 1 || sizes[0][0] == 0 || sizes[0][1] == 0 {
			t.Errorf("after the refresh, %s: canvases %v, want one with a size", sel, sizes)
		}
	}
	b.page("stats-refreshed")

	// The provider switch: OpenRouter's own, empty figures.
	b.do(chromedp.Click(css(`nav[aria-label="Provider"] a[href*="provider=openrouter"]`)),
		chromedp.WaitVisible(`//h1[.="OpenRouter statistics"]`))
	if got := get(b, chromedp.Evaluate[string](figureJS("Requests"))); got != "0" {
		t.Errorf("OpenRouter Requests figure %q, want 0", got)
	}
	b.page("stats-openrouter")

	// The API documentation, at the same server's URL.
	b.do(chromedp.Navigate(e.url+"/api-docs"), chromedp.WaitVisible(css("#errors")))
	if text := b.text("#sdk"); !strings.Contains(text, e.url+"/openrouter/v1") {
		t.Errorf("API docs: SDK section %q lacks %s/openrouter/v1", text, e.url)
	}
	b.page("api-docs")

	server, _ := url.Parse(e.url)
	for host := range b.hosts {
		if host != server.Host {
			t.Errorf("the browser sent a request to %s, not the test server %s", host, server.Host)
		}
	}
}
