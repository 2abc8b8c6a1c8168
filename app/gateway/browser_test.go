package gateway_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium tab that records every console error
// and every host the page sent a request to.
type browser struct {
	t      *testing.T
	ctx    context.Context
	shots  string // screenshots go here
	mu     sync.Mutex
	errors []string
	hosts  map[string]bool
}

// newBrowser starts Chromium (CHROME_PATH or /usr/bin/chromium). Without
// it the test is skipped, except in CI (CI=true), where it fails.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := os.Getenv("CHROME_PATH")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium not found at %s (CHROME_PATH): the browser tests must run in CI", path)
		}
		t.Skipf("Chromium not found at %s (set CHROME_PATH): browser tests skipped", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })

	b := &browser{t: t, ctx: ctx, shots: os.Getenv("DASHBOARD_SCREENSHOTS"), hosts: map[string]bool{}}
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	if err := chromedp.Listen(ctx, b.listen); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// listen records console errors, uncaught exceptions, failed loads and
// the hosts of all requests.
func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.errors = append(b.errors, "console."+string(ev.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		b.errors = append(b.errors, "exception: "+text+" at "+d.URL)
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			b.errors = append(b.errors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		if u, err := url.Parse(ev.Request.URL); err == nil && u.Scheme != "data" && u.Scheme != "blob" {
			b.hosts[u.Host] = true
		}
	}
}

// do runs the actions in order; an error ends the test.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v (console errors so far: %v)", err, b.errors)
	}
}

// signIn signs in with the admin token at base's login page, which then
// opens next.
func (b *browser) signIn(base, next string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base+"/login?next="+next), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken), chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
}

// get runs one action and returns its value; an error ends the test.
func get[T any](b *browser, action chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, action)
	if err != nil {
		b.t.Fatalf("browser: %v (console errors so far: %v)", err, b.errors)
	}
	return v
}

// text is the text of the first element that matches the CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, chromedp.Text(chromedp.CSS(sel)))
}

// page checks that the page logged no error so far and saves a screenshot.
func (b *browser) page(name string) {
	b.t.Helper()
	b.do(chromedp.Sleep(150 * time.Millisecond)) // let charts draw
	png := get(b, chromedp.FullScreenshot(100))
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s: %s", name, path)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		b.t.Errorf("page %s: browser console errors: %s", name, strings.Join(b.errors, "\n"))
		b.errors = nil
	}
}

// canvasSizes returns the width and height of every canvas under sel.
func (b *browser) canvasSizes(sel string) [][2]int {
	return get(b, chromedp.Evaluate[[][2]int](`[...document.querySelectorAll(`+jsString(sel+" canvas")+`)].map(c => [c.width, c.height])`))
}

func jsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// expectedErrors drops the logged errors that mention want.
func expectedErrors(errs []string, want string) []string {
	var out []string
	for _, e := range errs {
		if !strings.Contains(e, want) {
			out = append(out, e)
		}
	}
	return out
}
