package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var newTokenRE = regexp.MustCompile(`id="new-token" class="mono" value="(sk-kp-[^"]+)"`)

func TestWebTokens(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	a.get("/dashboard/tokens?provider=ollama", false)
	toks := a.providers["ollama"].Tokens

	// Without JavaScript: post, redirect, the plaintext shown once.
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	resp, _ := a.post("/dashboard/tokens?provider=ollama", url.Values{"name": {"team-a"}, "expires": {tomorrow}}, nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.Contains(loc, "created=") || strings.Contains(loc, "sk-kp-") {
		t.Fatalf("create: %d %s", resp.StatusCode, loc)
	}
	_, body := a.get(loc, false)
	m := newTokenRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "It expires after "+tomorrow) {
		t.Fatalf("the new token is not shown:\n%.4000s", body)
	}
	if _, ok := toks.Check(m[1]); !ok {
		t.Errorf("the shown token %s does not work", m[1])
	}
	prefix := m[1][:10]
	if !strings.Contains(body, "<code>"+prefix+"…</code>") || !strings.Contains(body, "<td>team-a</td>") {
		t.Errorf("the list lacks the token's prefix %s", prefix)
	}
	if _, again := a.get(loc, false); strings.Contains(again, m[1]) || strings.Contains(again, `id="new-token"`) {
		t.Error("the token is shown again on reload")
	}

	// HTMX: the new token and the list, in one fragment.
	hx := map[string]string{"HX-Request": "true", "X-Csrf-Token": a.cookies[csrfCookie]}
	resp, body = a.post("/dashboard/tokens?provider=ollama", url.Values{"name": {"team-b"}}, hx)
	if resp.StatusCode != 200 || tagRE.MatchString(body) || newTokenRE.FindStringSubmatch(body) == nil ||
		!strings.HasPrefix(body, `<div id="tokens-body">`) || !strings.Contains(body, "It never expires.") || strings.Count(body, "<tr>") != 3 {
		t.Errorf("HTMX create: %d\n%s", resp.StatusCode, body)
	}
	for _, bad := range []url.Values{{"name": {" "}}, {"name": {"x"}, "expires": {"2001-01-01"}}, {"name": {"x"}, "expires": {"soon"}}} {
		resp, body := a.post("/dashboard/tokens?provider=ollama", bad, hx)
		if resp.StatusCode != 200 || !strings.Contains(body, `class="flash error"`) || toks.Len() != 2 {
			t.Errorf("create %v: %d, %d tokens\n%s", bad, resp.StatusCode, toks.Len(), body)
		}
	}

	// Delete: without JavaScript a page asks first; HTMX has asked already.
	ids := regexp.MustCompile(`action="/dashboard/tokens/([0-9a-f]{16})/delete`).FindAllStringSubmatch(body, -1)
	if len(ids) != 2 {
		t.Fatalf("delete forms: %v", ids)
	}
	del := "/dashboard/tokens/" + ids[0][1] + "/delete?provider=ollama"
	resp, body = a.post(del, url.Values{}, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Delete the token “team-a”?") || toks.Len() != 2 {
		t.Fatalf("delete without JS: %d\n%.2000s", resp.StatusCode, body)
	}
	resp, _ = a.post(del, url.Values{"confirm": {"yes"}}, nil)
	if resp.StatusCode != 303 || toks.Len() != 1 {
		t.Errorf("confirmed delete: %d, %d tokens", resp.StatusCode, toks.Len())
	}
	if _, ok := toks.Check(m[1]); ok {
		t.Error("a deleted token still works")
	}
	resp, body = a.post("/dashboard/tokens/"+ids[1][1]+"/delete?provider=ollama", url.Values{}, hx)
	if resp.StatusCode != 200 || body != "" || !strings.Contains(resp.Header.Get("HX-Trigger"), "team-b") || toks.Len() != 0 {
		t.Errorf("HTMX delete: %d %q %s", resp.StatusCode, body, resp.Header.Get("HX-Trigger"))
	}
	if resp, _ := a.post(del, url.Values{"confirm": {"yes"}}, nil); resp.StatusCode != 404 {
		t.Errorf("deleting a gone token: %d, want 404", resp.StatusCode)
	}
}

func TestWebKeysHealthCheck(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	a.storeKeys(3)
	back := "/dashboard/keys?provider=ollama&status=active"
	resp, _ := a.post("/dashboard/keys/health-check?provider=ollama", url.Values{"back": {back}}, nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/dashboard/keys?") || !strings.Contains(loc, "status=active") || !strings.Contains(loc, "job=") {
		t.Fatalf("health check: %d %s", resp.StatusCode, loc)
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, body = a.get(loc, false); strings.Contains(body, `<span class="badge ok">done</span>`) {
			break
		}
	}
	if !strings.Contains(body, "Health check · Ollama") || !strings.Contains(body, "3 of 3 keys checked") ||
		figureOf(body, "Inconclusive") != "3" || !strings.Contains(body, "0 keys marked failed") {
		t.Errorf("health check card:\n%.5000s", body)
	}
}
