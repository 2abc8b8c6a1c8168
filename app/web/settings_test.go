package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/config"
)

func TestWebSettingsMasksSecrets(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	resp, body := a.get("/dashboard/settings", false)
	if resp.StatusCode != 200 {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	for _, secret := range []string{testAdminToken, dbPassword, redisPassword} {
		if strings.Contains(body, secret) {
			t.Errorf("settings page shows the secret %q", secret)
		}
	}
	for _, want := range []string{
		"postgres://keypool:••••••••@db.internal:5432/keypool?sslmode=disable", "redis://:••••••••@cache.internal:6379/0",
		"<dt>ADMIN_TOKEN</dt>", "<dt>STATS_RETENTION_DAYS</dt>", "test database — answered in",
		`<span class="badge neutral">configured</span>`, `<span class="badge ok">up</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
}

func TestWebSettingsRedisStatus(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	for _, tt := range []struct {
		err  error
		want string
	}{{nil, `<dt>Redis</dt><dd><span class="badge ok">up</span>`}, {errors.New("refused"), `<dt>Redis</dt><dd><span class="badge bad">down</span>`}} {
		a.h.deps.Redis = PingFunc(func(context.Context) error { return tt.err })
		_, body := a.get("/dashboard/settings", false)
		if !strings.Contains(body, tt.want) || !strings.Contains(body, "redis://:••••••••@cache.internal:6379/0 — ") {
			t.Errorf("Redis answering %v: the page lacks %s", tt.err, tt.want)
		}
	}
}

func TestWebMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"postgres://u:p@h:5432/db":     "postgres://u:••••••••@h:5432/db",
		"postgres://u@h/db?password=p": "postgres://u@h/db?password=••••••••",
		"postgres://h/db?sslmode=x":    "postgres://h/db?sslmode=x",
		"redis://:p@h:6379/0":          "redis://:••••••••@h:6379/0",
		"postgres://u:p%40ss@h/db":     "postgres://u:••••••••@h/db",
		"postgres://u:p@h:port/db":     masked + " (not shown: not a URL)",
	} {
		if got := maskURL(in); got != want {
			t.Errorf("maskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWebProviderSwitchPersists(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.login()
	or := a.providers["openrouter"]

	// HTMX: the row comes back switched, with a toast.
	resp, body := a.post("/dashboard/settings/providers/openrouter", url.Values{"on": {"false"}},
		map[string]string{"HX-Request": "true", "X-Csrf-Token": a.cookies[csrfCookie],
			"HX-Current-URL": "http://example.com/dashboard/settings?provider=ollama"})
	if resp.StatusCode != 200 || tagRE.MatchString(body) || !strings.Contains(body, `id="provider-openrouter"`) ||
		!strings.Contains(body, `aria-checked="false"`) || !strings.Contains(resp.Header.Get("HX-Trigger"), "switched off") {
		t.Fatalf("switch off: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `data-hx-swap-oob="true"`) || !strings.Contains(body, `href="/dashboard/settings?provider=openrouter"`) ||
		!strings.Contains(body, "OpenRouter (off)") {
		t.Errorf("switch off: no provider switch out of band marking openrouter off: %s", body)
	}
	on, err := or.Store.ProviderEnabled(t.Context())
	if err != nil || on || or.Info.Enabled() {
		t.Fatalf("after switching off: stored %v (%v), in memory %v", on, err, or.Info.Enabled())
	}
	_, body = a.get("/dashboard?provider=openrouter", false)
	if !strings.Contains(body, "OpenRouter (off)") {
		t.Error("the provider switch does not show openrouter as off")
	}

	// Without JavaScript: the form posts and redirects with a flash.
	resp, _ = a.post("/dashboard/settings/providers/openrouter", url.Values{"on": {"true"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !or.Info.Enabled() {
		t.Fatalf("switch on: %d, enabled %v", resp.StatusCode, or.Info.Enabled())
	}
	if _, body = a.get(resp.Header.Get("Location"), false); !strings.Contains(body, "OpenRouter is switched on.") {
		t.Error("no flash after switching on")
	}

	for _, tt := range []struct {
		path string
		form url.Values
		want int
	}{
		{"/dashboard/settings/providers/bogus", url.Values{"on": {"true"}}, http.StatusNotFound},
		{"/dashboard/settings/providers/ollama", url.Values{"on": {"maybe"}}, http.StatusBadRequest},
		{"/dashboard/settings/providers/ollama", url.Values{"on": {"false"}, "_csrf": {""}}, http.StatusForbidden},
	} {
		if resp, _ := a.post(tt.path, tt.form, nil); resp.StatusCode != tt.want {
			t.Errorf("POST %s %v: %d, want %d", tt.path, tt.form, resp.StatusCode, tt.want)
		}
	}
	if !a.providers["ollama"].Info.Enabled() {
		t.Error("a refused request switched ollama off")
	}
}

// Every variable the configuration reads is on the settings page.
func TestWebSettingsListEveryVariable(t *testing.T) {
	read := map[string]bool{}
	config.Load(func(name string) string { read[name] = true; return "" })
	shown := map[string]bool{}
	for _, e := range configEntries(testConfig()) {
		shown[e.Name] = true
	}
	for name := range read {
		if !shown[name] && !strings.HasPrefix(name, "SUPABASE_") { // accepted and ignored
			t.Errorf("%s is not on the settings page (app/web/settings_config.go)", name)
		}
	}
}
