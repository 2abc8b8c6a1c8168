package gateway_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/testkit/storetest"
)

// TestPlaygroundInBrowser drives the dashboard's playground in headless
// Chromium: the model list comes from the live upstream, a template fills
// the form, the answer streams in, and the page shows the time to the first
// token, the total, the tokens and the masked key that served it — past a
// key the upstream refuses. The request lands in the statistics like a
// client's.
func TestPlaygroundInBrowser(t *testing.T) {
	b := newBrowser(t)
	dialects := storetest.Dialects(t)
	e := newTestEnv(t, dialects[len(dialects)-1], nil)
	good, bad := "sk-playground-good-0123456789", "sk-playground-bad-0123456789"
	e.fake.SetFault(bad, fakeupstream.Fault{Status: 401})
	e.importKeys("ollama", good, bad)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.signIn(e.url, "/dashboard/playground")
	b.do(chromedp.WaitVisible(css("#pg-form")),
		chromedp.WaitReady(css(`#pg-model option[value]:not([value=""])`)))
	if n := get(b, chromedp.Evaluate[int](`document.querySelectorAll("#pg-template option[value]:not([value=''])").length`)); n == 0 {
		t.Fatal("the playground offers no template")
	}
	// The first template fills the prompt; streaming stays on.
	b.do(chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById("pg-template"); s.selectedIndex=1;
		s.dispatchEvent(new Event("change")); document.getElementById("pg-stream").checked=true})()`))
	if get(b, chromedp.Evaluate[string](`document.getElementById("pg-user").value`)) == "" {
		t.Fatal("choosing a template left the message empty")
	}
	b.do(chromedp.Click(css("#pg-send")), chromedp.WaitVisible(`//dd[@id="pg-total"][contains(., "ms")]`))

	if msg := b.text("#pg-error"); get(b, chromedp.Evaluate[bool](`!document.getElementById("pg-error").hidden`)) {
		t.Fatalf("the playground shows an error: %q", msg)
	}
	if status := b.text("#pg-status"); status != "200" {
		t.Errorf("status %q, want 200", status)
	}
	if answer := b.text("#pg-answer"); strings.TrimSpace(answer) == "" {
		t.Error("no answer shown")
	}
	if ttft := b.text("#pg-ttft"); !strings.HasSuffix(ttft, " ms") {
		t.Errorf("time to first token %q", ttft)
	}
	key := b.text("#pg-key")
	if want := strings.ReplaceAll(redact.Key(good), "…", "..."); key != want || strings.Contains(key, good) {
		t.Errorf("served by %q, want the good key masked (%q)", key, want)
	}
	wantTries := 1 + e.fake.Counts(bad).Requests // round robin may or may not start at the bad key
	if tries := b.text("#pg-attempts"); tries != strconv.FormatInt(wantTries, 10) {
		t.Errorf("keys tried %q, want %d (bad key asked %d times)", tries, wantTries, e.fake.Counts(bad).Requests)
	}
	completion, err := strconv.ParseInt(b.text("#pg-completion-tokens"), 10, 64)
	if err != nil || completion == 0 {
		t.Errorf("completion tokens %q: want the stream's usage", b.text("#pg-completion-tokens"))
	}
	b.page("playground")

	e.stop() // flushes the statistics
	tb := e.readTables(t, "ollama_api")
	// Two requests: the model list the page loaded, and the chat.
	if tb.Global.Total != 2 || tb.Global.Success != 2 || tb.Global.Completion != completion || tb.Global.Prompt == 0 {
		t.Errorf("statistics: %+v, want 2 requests (models, chat), 2 successes, %d completion tokens", tb.Global, completion)
	}
}
