package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keypool/keypool/static"
)

func TestWebStaticAssets(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	css := a.h.assets.url("app.css")
	resp, body := a.get(css, false)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "prefers-color-scheme") {
		t.Fatalf("GET %s: %d %v", css, resp.StatusCode, resp.Header)
	}
	req := newGet(css)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, _ = a.do(req); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d", resp.StatusCode)
	}

	// go-echarts' own script tag (no version): a day of caching, gzip on request.
	scripts := chartScripts()
	if len(scripts) != 1 || scripts[0] != "/static/echarts.min.js" {
		t.Fatalf("go-echarts asks for %v", scripts)
	}
	req = newGet(scripts[0])
	req.Header.Set("Accept-Encoding", "gzip")
	resp, body = a.do(req)
	want, _ := static.FS.ReadFile("echarts.min.js")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Cache-Control") != "public, max-age=86400" {
		t.Fatalf("GET %s: %d %v", scripts[0], resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, want) || len(body) > len(want)/2 {
		t.Fatalf("gzipped echarts: %d bytes for %d, round trip ok %v", len(body), len(want), bytes.Equal(got, want))
	}

	for _, name := range []string{"htmx.min.js", "app.js", "favicon.svg"} {
		if resp, _ := a.get("/static/"+name, false); resp.StatusCode != 200 {
			t.Errorf("GET /static/%s: %d", name, resp.StatusCode)
		}
	}
	if resp, _ := a.get("/static/nope.js", false); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: %d", resp.StatusCode)
	}
}

func TestWebFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 100000: "100,000"} {
		if got := formatInt(n); got != want {
			t.Errorf("formatInt(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{12: "12", 1234: "1.2k", 5_600_000: "5.6M", 7_000_000_000: "7.0B"} {
		if got := formatCompact(n); got != want {
			t.Errorf("formatCompact(%d) = %q, want %q", n, got, want)
		}
	}
}
