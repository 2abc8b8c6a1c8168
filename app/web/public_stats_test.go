package web

import (
	"html"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/models"
)

// figure is the value shown under a figure's label, "" if there is none.
func figure(page, label string) string {
	m := regexp.MustCompile(`<dt>` + regexp.QuoteMeta(label) + `</dt><dd>([^<]*)`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}

// addKeys stores keys of a provider, one in three failed, and loads them
// into its pool.
func (a *testApp) addKeys(providerID string, keys ...string) {
	a.t.Helper()
	rows := make([]models.Key, len(keys))
	for i, k := range keys {
		rows[i] = models.Key{APIKey: k, Username: "user" + k + "@example.com", Status: models.StatusActive}
		if i%3 == 2 {
			rows[i].Status = models.StatusFailed
			until := time.Now().Add(time.Hour)
			rows[i].FailedUntil = &until
		}
	}
	p := a.providers[providerID]
	if _, err := p.Store.InsertKeys(a.t.Context(), rows); err != nil {
		a.t.Fatal(err)
	}
	if err := p.Pool.Load(a.t.Context()); err != nil {
		a.t.Fatal(err)
	}
}

// The public statistics are all in the HTML, so a plain HTTP client (or a
// browser without JavaScript) reads every figure and table; the HTMX
// refresh gets the same figures as a fragment.
func TestWebPublicStatsWithoutJavaScript(t *testing.T) {
	cfg := testConfig()
	cfg.StatsPageRefresh = 30 * time.Second
	a := newTestApp(t, "sqlite", cfg)
	a.addKeys("ollama", "sk-one-0123456789", "sk-two-0123456789", "sk-three-0123456789")
	a.record("ollama", "model-alpha", 5, 4)
	a.record("openrouter", "vendor/model-beta", 2, 2)

	resp, page := a.get("/stats", false)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<html") {
		t.Fatalf("GET /stats: %d %.300s", resp.StatusCode, page)
	}
	for label, want := range map[string]string{"Requests": "5", "Successful": "4", "Success rate": "80.0 %", "Tokens used": "0",
		"Keys": "3", "Active keys": "2", "Failed keys": "1"} {
		if got := figure(page, label); got != want {
			t.Errorf("figure %q = %q, want %q", label, got, want)
		}
	}
	for _, want := range []string{"<code>model-alpha</code>", "Last updated <time", "5 requests in the last 24 hours: 4 successful, 1 failed.",
		`data-hx-get="/stats?provider=ollama"`, `data-hx-trigger="every 30s"`, `<script src="/static/echarts.min.js">`,
		`href="/stats?provider=openrouter"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "vendor/model-beta") {
		t.Error("the Ollama page shows an OpenRouter model")
	}

	resp, frag := a.get("/stats?provider=openrouter", true)
	if resp.StatusCode != http.StatusOK || tagRE.MatchString(frag) || resp.Header.Get("Vary") == "" ||
		figure(frag, "Requests") != "2" || !strings.Contains(frag, "vendor/model-beta") || strings.Contains(frag, "data-hx-trigger") {
		t.Fatalf("HTMX refresh: %d vary %q: %.500s", resp.StatusCode, resp.Header.Get("Vary"), frag)
	}
	if resp, _ := a.get("/stats?provider=bogus", false); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown provider: %d", resp.StatusCode)
	}

	a.h.deps.Config.StatsPageRefresh = 0 // refresh off
	if _, page := a.get("/stats", false); strings.Contains(page, "data-hx-trigger") || figure(page, "Requests") != "5" {
		t.Errorf("refresh off: %.300s", page)
	}
}

func TestWebPublicStatsRefreshInterval(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "", -time.Second: "", 30 * time.Second: "30s", 1500 * time.Millisecond: "1500ms",
		time.Microsecond: "1ms"} {
		if got := htmxInterval(d); got != want {
			t.Errorf("htmxInterval(%v) = %q, want %q", d, got, want)
		}
	}
}

// 500 people on /stats at once — whole pages and HTMX refreshes — and 100
// callers of /admin/public-stats, all while the figures are being loaded,
// cost the database one query set: the one a single view costs. Queries
// are counted at GORM, below the store.
func TestWebPublicStatsBurstIsOneQuerySet(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			cfg := testConfig()
			cfg.PublicStatsTTL = time.Hour // one cache period for the whole test
			a := newTestApp(t, dialect, cfg)
			a.addKeys("ollama", "sk-burst-0123456789")
			a.record("ollama", "m1", 7, 7)
			a.record("openrouter", "m2", 1, 1)
			q := countQueries(t, a)

			// What one view costs: a miss of the other provider.
			if resp, _ := a.get("/stats?provider=openrouter", false); resp.StatusCode != http.StatusOK {
				t.Fatal(resp.StatusCode)
			}
			set := q.n.Load()
			if set == 0 {
				t.Fatal("one view ran no query: the counter sees nothing")
			}

			q.n.Store(0)
			q.arm()
			base := serve(t, a)
			const viewers, n = 500, 600 // 500 on /stats, 100 on the JSON
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: time.Minute}
			// A burst makes the transport dial connections it then never
			// uses; fasthttp's Shutdown waits for those until the client
			// closes them.
			defer client.CloseIdleConnections()
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					path := []string{"/stats", "/stats?provider=ollama"}[i%2]
					if i >= viewers {
						path = "/admin/public-stats"
					}
					req, _ := http.NewRequest(http.MethodGet, base+path, nil)
					if i%4 < 2 {
						req.Header.Set("HX-Request", "true")
					}
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "7") {
						t.Errorf("view %d: %d %.200s", i, resp.StatusCode, body)
					}
				})
			}
			<-q.entered
			time.Sleep(300 * time.Millisecond) // let the rest of the burst pile up behind the load
			close(q.gate)
			wg.Wait()
			if got := q.n.Load(); got != set {
				t.Fatalf("%d concurrent views ran %d queries; one view runs %d", n, got, set)
			}
			for range 50 { // later views of the same period: no query at all
				a.get("/stats", false)
			}
			if got := q.n.Load(); got != set {
				t.Fatalf("views after the burst ran %d more queries", got-set)
			}
		})
	}
}

// serve answers the test app on a real listener and returns its URL.
func serve(t *testing.T, a *testApp) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go a.app.Listener(ln)
	t.Cleanup(func() {
		if err := a.app.ShutdownWithTimeout(10 * time.Second); err != nil {
			t.Errorf("shutdown of the test server: %v (a client connection left open?)", err)
		}
	})
	return "http://" + ln.Addr().String()
}
