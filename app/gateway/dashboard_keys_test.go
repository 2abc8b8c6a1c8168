package gateway_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypool/keypool/app/testkit/storetest"
)

// TestDashboardKeysInBrowser drives the keys, bulk upload and tokens pages
// in headless Chromium against the real server: a file of 5 keys with one
// bad line imports 4 and reports the line; disabling a key swaps its badge
// without a reload, and the bulk bar enables ticked rows; a health check
// shows its progress under a URL that can be come back to; the keys page
// fits 375 px; a new token is shown once and not after a reload. No page
// may log a console error; a screenshot of each is saved.
func TestDashboardKeysInBrowser(t *testing.T) {
	b := newBrowser(t)
	dialects := storetest.Dialects(t)
	e := newTestEnv(t, dialects[len(dialects)-1], nil)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.signIn(e.url, "/dashboard/import")
	b.do(chromedp.WaitVisible(css("#import-file")))

	// Bulk upload: 5 lines, the third not a key.
	file := filepath.Join(t.TempDir(), "keys.txt")
	lines := "sk-browser-upload-1-0123456789\nsk-browser-upload-2-0123456789\nthis----is----bad\n" +
		"user@example.com----pw----session----sk-browser-upload-3-0123456789\nsk-browser-upload-4-0123456789\n"
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(css("#import-file"), []string{file}), chromedp.Click(css(`form[enctype] button[type="submit"]`)),
		chromedp.WaitVisible(css("#import-report")))
	report := b.text("#import-report")
	if !strings.Contains(report, "Imported\n4") && !strings.Contains(report, "Imported 4") {
		t.Errorf("import report: %q", report)
	}
	if row := b.text("#import-report tbody tr"); !strings.HasPrefix(row, "3") || !strings.Contains(row, "expected a key") {
		t.Errorf("the bad line is not reported as line 3: %q", row)
	}
	b.page("import-result")

	// Keys: disable the first row for 1 h; only its row changes.
	b.do(chromedp.Navigate(e.url+"/dashboard/keys"), chromedp.WaitVisible(css("table.keys")),
		chromedp.Evaluate[chromedp.Void](`window.kpMarker = true; undefined`))
	if n := get(b, chromedp.Evaluate[int](`document.querySelectorAll("table.keys tbody tr").length`)); n != 4 {
		t.Fatalf("keys table: %d rows, want 4", n)
	}
	row := "#" + get(b, chromedp.Evaluate[string](`document.querySelector("table.keys tbody tr").id`))
	b.do(chromedp.Click(css(row+` button[value="disable"]`)), chromedp.WaitVisible(css(row+" .badge.neutral")),
		chromedp.WaitVisible(css("#toasts .flash")))
	if badge, toast := b.text(row+" .badge"), b.text("#toasts .flash"); badge != "disabled" || !strings.Contains(toast, "disabled for 1 h") {
		t.Errorf("after disable: badge %q, toast %q", badge, toast)
	}
	if !get(b, chromedp.Evaluate[bool](`window.kpMarker === true`)) {
		t.Error("disabling a key reloaded the page")
	}
	if others := get(b, chromedp.Evaluate[int](`document.querySelectorAll("table.keys .badge.ok").length`)); others != 3 {
		t.Errorf("%d other keys still active, want 3", others)
	}
	b.page("keys-disabled")

	// The bulk bar: tick that row and another (form="bulk" checkboxes), enable both.
	second := "#" + get(b, chromedp.Evaluate[string](`document.querySelectorAll("table.keys tbody tr")[1].id`))
	b.do(chromedp.Click(css(row+` input[type="checkbox"]`)), chromedp.Click(css(second+` input[type="checkbox"]`)),
		chromedp.WaitVisible(`//span[@data-selected-count][.="2 keys selected:"]`),
		chromedp.Click(css(`#bulk button[value="enable"]`)), chromedp.WaitVisible(css(row+" .badge.ok")),
		chromedp.WaitVisible(`//span[@data-selected-count][.="0 keys selected:"]`)) // the swapped rows come back unticked
	if n := get(b, chromedp.Evaluate[int](`document.querySelectorAll("table.keys .badge.ok").length`)); n != 4 {
		t.Errorf("after bulk enable: %d keys active, want 4", n)
	}

	// Health check: live progress, under a URL to come back to.
	b.do(chromedp.Click(css(`.page-head button[type="submit"]`)), chromedp.WaitVisible(css("#job .badge.ok")))
	if status, search := b.text("#job p.muted"), get(b, chromedp.Evaluate[string](`location.search`)); !strings.Contains(status, "4 of 4 keys checked") ||
		!strings.Contains(search, "job=") {
		t.Errorf("health check: %q at %q", status, search)
	}
	b.do(chromedp.Reload(), chromedp.WaitVisible(css("#job .badge.ok")))
	b.page("keys-health-check")
	b.do(chromedp.EmulateViewport(375, 812), chromedp.Reload(), chromedp.WaitVisible(css("table.keys")))
	if w := get(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px the keys page is %d px wide: it scrolls sideways", w)
	}
	b.page("keys-375px")
	b.do(chromedp.EmulateViewport(1280, 900))

	// Tokens: the new token once; a reload does not show it again.
	b.do(chromedp.Navigate(e.url+"/dashboard/tokens"), chromedp.WaitVisible(css("#token-name")),
		chromedp.SendKeys(css("#token-name"), "browser-client"), chromedp.Click(css(`form[data-hx-post] button[type="submit"]`)),
		chromedp.WaitVisible(css("#new-token")))
	token := get(b, chromedp.Value(css("#new-token")))
	if !strings.HasPrefix(token, "sk-kp-") || !strings.Contains(b.text("#tokens-body table"), "browser-client") {
		t.Errorf("new token %q, list %q", token, b.text("#tokens-body table"))
	}
	b.do(chromedp.WaitVisible(css("[data-copy]"))) // app.js shows the copy button once htmx has settled the swap
	b.page("token-created")
	b.do(chromedp.Reload(), chromedp.WaitVisible(css("#tokens-body table")))
	if html := get(b, chromedp.Evaluate[string](`document.body.innerHTML`)); strings.Contains(html, token) || strings.Contains(html, "new-token") {
		t.Error("the token is shown again after a reload")
	}
	b.page("tokens-after-reload")
}
