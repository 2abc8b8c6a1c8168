package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

type providerJSON struct {
	ID, Label  string
	BaseURL    string `json:"base_url"`
	Enabled    bool
	Configured bool
	Keys       *struct{ Total, Active int }
}

// providers GETs /admin/providers, by id.
func (e *testEnv) providers() map[string]providerJSON {
	e.t.Helper()
	var out struct{ Providers []providerJSON }
	e.getJSON("/admin/providers", adminToken, &out)
	m := map[string]providerJSON{}
	for _, p := range out.Providers {
		m[p.ID] = p
	}
	return m
}

// TestAdminProviderSwitch: a provider switched off answers 503
// "… is disabled by administrator" on its client routes, stays off across a restart, and
// serves again once switched on. Its admin routes keep working meanwhile.
func TestAdminProviderSwitch(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		e.importKeys("openrouter", "sk-or-0123456789abcdef")
		e.importKeys("ollama", "sk-ol-0123456789abcdef")
		orToken, olToken := e.createToken("openrouter"), e.createToken("ollama")
		chat := func(provider, token string, want int) {
			t.Helper()
			status, body, _ := e.do("POST", chatPath(provider), token, chatBody(false))
			off := strings.Contains(string(body), `"code":"provider_disabled"`) && strings.Contains(string(body), "is disabled by administrator")
			if status != want || (want == http.StatusServiceUnavailable && !off) {
				t.Fatalf("%s chat: %d %s, want %d", provider, status, body, want)
			}
		}
		chat("openrouter", orToken, 200)
		ps := e.providers()
		if or := ps["openrouter"]; len(ps) != 2 || !or.Enabled || !or.Configured || or.Label != "OpenRouter" ||
			or.BaseURL != e.upstream.URL+"/api" || or.Keys == nil || or.Keys.Total != 1 {
			t.Fatalf("providers: %+v", ps)
		}

		var off providerJSON
		if err := json.Unmarshal(e.call("POST", "/admin/providers/openrouter/disable", nil, 200, ""), &off); err != nil || off.Enabled || off.ID != "openrouter" {
			t.Fatalf("disable: %+v, %v", off, err)
		}
		chat("openrouter", orToken, 503)
		chat("ollama", olToken, 200) // the other provider is untouched
		if l := e.listKeys("provider=openrouter"); l.Total != 1 {
			t.Fatalf("admin list of a switched-off provider: %+v", l)
		}

		e.stop()
		e.start()
		chat("openrouter", orToken, 503)
		if p := e.providers()["openrouter"]; p.Enabled || !p.Configured {
			t.Fatalf("after restart: %+v", p)
		}
		e.call("POST", "/admin/providers/openrouter/enable", nil, 200, "")
		chat("openrouter", orToken, 200)
		e.call("POST", "/admin/providers/bogus/enable", nil, 400, "unknown provider")
		e.call("POST", "/admin/providers/ollama/disable?provider=openrouter", nil, 200, "") // the path names the provider
		chat("ollama", olToken, 503)
	})
}

func TestAdminProviderDisabledByEnv(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"DISABLE_OPENROUTER": "true"})
		if p := e.providers()["openrouter"]; p.Enabled || p.Configured || p.Keys != nil || p.Label != "OpenRouter" {
			t.Fatalf("provider removed by env: %+v", p)
		}
		for _, action := range []string{"enable", "disable"} {
			e.call("POST", "/admin/providers/openrouter/"+action, nil, 409, "DISABLE_OPENROUTER")
		}
	})
}

func TestAdminCache(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/admin/cache/stats", 200, `{"enabled":false,"entries":0,"hits":0,"misses":0,"bytes":0,"totalEntries":0,"byType":{"response":0}}`},
		{"GET", "/admin/cache/stats?provider=openrouter", 200, `{"enabled":false,"entries":0,"hits":0,"misses":0,"bytes":0,"totalEntries":0,"byType":{"response":0}}`},
		{"POST", "/admin/cache/clear", 200, `{"cleared":0,"message":"cleared the provider's cache","success":true}`},
		{"GET", "/admin/cache/stats?provider=bogus", 400, `{"error":"unknown provider \"bogus\": use ollama or openrouter"}`},
		{"POST", "/admin/cache/clear?provider=bogus", 400, `{"error":"unknown provider \"bogus\": use ollama or openrouter"}`},
	}
	for _, tt := range tests {
		if status, body, _ := e.do(tt.method, tt.path, adminToken, nil); status != tt.status || string(body) != tt.want {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, status, body, tt.status, tt.want)
		}
	}
}
