package web

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

// storeKeys stores n keys "sk-web-test-key-NN-…" of ollama, the third
// failed, and loads them into the pool; it returns the keys.
func (a *testApp) storeKeys(n int) []string {
	a.t.Helper()
	keys := make([]string, n)
	rows := make([]models.Key, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("sk-web-test-key-%02d-0123456789abcdef", i)
		rows[i] = models.Key{APIKey: keys[i], Username: fmt.Sprintf("user%02d@example.com", i), Status: models.StatusActive,
			CreatedAt: time.Now().Add(time.Duration(i) * time.Second)}
		if i == 2 {
			until := time.Now().Add(time.Hour)
			rows[i].Status, rows[i].FailedUntil = models.StatusFailed, &until
		}
	}
	p := a.providers["ollama"]
	if _, err := p.Store.InsertKeys(a.t.Context(), rows); err != nil {
		a.t.Fatal(err)
	}
	if err := p.Pool.Load(a.t.Context()); err != nil {
		a.t.Fatal(err)
	}
	return keys
}

var keyIDRE = regexp.MustCompile(`<tr id="key-([0-9a-f]{16})"`)

// keyIDs are the ids of the rows of a keys page, in order.
func keyIDs(body string) []string {
	var ids []string
	for _, m := range keyIDRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestWebKeysPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	keys := a.storeKeys(5)

	resp, body := a.get("/dashboard/keys?provider=ollama", false)
	if resp.StatusCode != 200 || len(keyIDs(body)) != 5 || !strings.Contains(body, "5 keys") {
		t.Fatalf("keys page: %d, rows %v\n%.2000s", resp.StatusCode, keyIDs(body), body)
	}
	for _, k := range keys {
		if strings.Contains(body, k) {
			t.Fatalf("the keys page shows the key %s in clear", k)
		}
	}
	for _, want := range []string{`<span class="badge bad">failed</span>`, `<span class="badge ok">active</span>`,
		"sk-web…cdef", "user03@example.com", `name="q"`, `<option value="failed">Failed</option>`, `Page 1 of 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("keys page lacks %q", want)
		}
	}

	// Filters and search: the fragment alone for HTMX, the provider switch out of band.
	for _, tt := range []struct {
		query string
		rows  int
	}{{"status=failed", 1}, {"status=active", 4}, {"q=user04", 1}, {"q=-key-0", 5}, {"q=nothing", 0}, {"status=cooling_down", 0}} {
		resp, body := a.get("/dashboard/keys?provider=ollama&"+tt.query, true)
		if resp.StatusCode != 200 || tagRE.MatchString(body) || len(keyIDs(body)) != tt.rows ||
			!strings.Contains(body, `id="provider-switch" data-hx-swap-oob="true"`) {
			t.Errorf("%s: %d, %d rows, want %d\n%.1500s", tt.query, resp.StatusCode, len(keyIDs(body)), tt.rows, body)
		}
	}
	if resp, _ := a.get("/dashboard/keys?status=bogus", false); resp.StatusCode != 400 {
		t.Errorf("bad status filter: %d, want 400", resp.StatusCode)
	}

	// Pages of 2: three pages, newest first, links keep the filter.
	_, body = a.get("/dashboard/keys?provider=ollama&per_page=2&page=2", false)
	if ids := keyIDs(body); len(ids) != 2 || !strings.Contains(body, "Page 2 of 3") ||
		!strings.Contains(body, `href="/dashboard/keys?page=1&amp;per_page=2&amp;provider=ollama"`) ||
		!strings.Contains(body, `href="/dashboard/keys?page=3&amp;per_page=2&amp;provider=ollama"`) {
		t.Errorf("page 2 of 3: rows %v\n%.3000s", ids, body)
	}
}

func TestWebKeysActions(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	keys := a.storeKeys(4)
	pl := a.providers["ollama"].Pool
	_, body := a.get("/dashboard/keys?provider=ollama", false)
	ids := keyIDs(body) // newest first: keys 3, 2, 1, 0
	if len(ids) != 4 {
		t.Fatalf("rows %v", ids)
	}
	htmx := func(target string) map[string]string {
		return map[string]string{"HX-Request": "true", "HX-Target": target, "X-Csrf-Token": a.cookies[csrfCookie]}
	}

	// One row: disabled for 1 h; the answer is that row alone, with a toast.
	resp, body := a.post("/dashboard/keys/action?provider=ollama", url.Values{"id": {ids[0]}, "action": {"disable"}, "duration": {"1h"}},
		htmx("key-"+ids[0]))
	k, _ := pl.Get(keys[3])
	if st := k.State(); resp.StatusCode != 200 || !strings.HasPrefix(body, `<tr id="key-`+ids[0]+`"`) || strings.Count(body, "<tr") != 1 ||
		!strings.Contains(body, `<span class="badge neutral">disabled</span>`) || st.Status != models.StatusDisabled ||
		st.DisabledUntil == nil || time.Until(*st.DisabledUntil) < 59*time.Minute || !strings.Contains(resp.Header.Get("HX-Trigger"), "disabled for 1 h") {
		t.Fatalf("disable one row: %d %+v %s\n%s", resp.StatusCode, st, resp.Header.Get("HX-Trigger"), body)
	}

	// The bulk bar: the changed rows out of band; deleted rows removed.
	resp, body = a.post("/dashboard/keys/action?provider=ollama", url.Values{"id": {ids[0], ids[1]}, "action": {"enable"}}, htmx("bulk"))
	if resp.StatusCode != 200 || strings.Count(body, `data-hx-swap-oob="true"`) != 2 || !strings.HasPrefix(body, "<template>") ||
		strings.Count(body, `<span class="badge ok">active</span>`) != 2 || !strings.Contains(resp.Header.Get("HX-Trigger"), "2 keys enabled") {
		t.Errorf("bulk enable: %d %s\n%s", resp.StatusCode, resp.Header.Get("HX-Trigger"), body)
	}
	resp, body = a.post("/dashboard/keys/action?provider=ollama", url.Values{"id": {ids[2], ids[3]}, "action": {"delete"}}, htmx("bulk"))
	if resp.StatusCode != 200 || strings.Count(body, `data-hx-swap-oob="delete"`) != 2 || pl.Len() != 2 {
		t.Errorf("bulk delete: %d, pool %d\n%s", resp.StatusCode, pl.Len(), body)
	}
	resp, body = a.post("/dashboard/keys/action?provider=ollama", url.Values{"id": {ids[2]}, "action": {"enable"}}, htmx("key-"+ids[2]))
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("a gone key's row: %d %q, want an empty answer", resp.StatusCode, body)
	}
	resp, _ = a.post("/dashboard/keys/action?provider=ollama", url.Values{"action": {"enable"}}, htmx("bulk"))
	if resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("HX-Trigger"), "Tick the keys") {
		t.Errorf("nothing ticked: %d %s", resp.StatusCode, resp.Header.Get("HX-Trigger"))
	}

	// Without JavaScript: back to the list with a flash; a delete asks first.
	back := "/dashboard/keys?provider=ollama&q=key"
	resp, _ = a.post("/dashboard/keys/action?provider=ollama", url.Values{"id": {ids[0]}, "action": {"disable"}, "duration": {"forever"}, "back": {back}}, nil)
	if k, _ := pl.Get(keys[3]); resp.StatusCode != 303 || resp.Header.Get("Location") != back || k.State().DisabledUntil != nil {
		t.Errorf("disable without JS: %d %s %+v", resp.StatusCode, resp.Header.Get("Location"), k.State())
	}
	if _, body := a.get(back, false); !strings.Contains(body, "disabled until enabled.") {
		t.Errorf("no flash after the redirect:\n%.1500s", body)
	}
	resp, body = a.post("/dashboard/keys/action?provider=ollama", url.Values{"id": {ids[0]}, "action": {"delete"}, "back": {back}}, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Delete 1 key?") || !strings.Contains(body, `name="confirm" value="yes"`) || pl.Len() != 2 {
		t.Fatalf("delete without JS: %d, pool %d\n%.2000s", resp.StatusCode, pl.Len(), body)
	}
	resp, _ = a.post("/dashboard/keys/action?provider=ollama", url.Values{"id": {ids[0]}, "action": {"delete"}, "confirm": {"yes"}, "back": {"https://evil.example/"}}, nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/dashboard/keys?provider=ollama" || pl.Len() != 1 {
		t.Errorf("confirmed delete: %d %s, pool %d", resp.StatusCode, resp.Header.Get("Location"), pl.Len())
	}
}
