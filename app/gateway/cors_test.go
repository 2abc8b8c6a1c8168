package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// corsRequest sends a request from a browser origin; preflight: an
// OPTIONS asking for a POST with the SDKs' headers.
func (e *testEnv) corsRequest(method, path, origin string, preflight bool) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	if preflight {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-api-key,anthropic-version")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp
}

// Browsers of any origin may call the client routes, the public JSON and
// the admin API (bearer tokens, no cookies): preflights are answered with
// the methods and the SDKs' headers, never with credentials. The
// dashboard and its sign-in, which take a cookie, get no CORS header.
func TestCORSDefaultOpensClientAndPublicRoutes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"DISABLE_OPENROUTER": "true"})
	const origin = "https://chat.example.com"
	tests := []struct {
		name, method, path string
		preflight, open    bool
	}{
		{"chat preflight", "OPTIONS", "/v1/chat/completions", true, true},
		{"ollama alias preflight", "OPTIONS", "/ollama/v1/chat/completions", true, true},
		{"native preflight", "OPTIONS", "/api/chat", true, true},
		{"disabled provider preflight", "OPTIONS", "/openrouter/v1/chat/completions", true, true},
		{"admin preflight", "OPTIONS", "/admin/api-keys", true, true},
		{"models", "GET", "/v1/models", false, true},
		{"health", "GET", "/health", false, true},
		{"public stats", "GET", "/admin/public-stats", false, true},
		{"test templates", "GET", "/api/test-templates", false, true},
		{"an error answer (401)", "POST", "/v1/chat/completions", false, true},
		{"a disabled provider's 503", "GET", "/openrouter/v1/models", false, true},
		{"dashboard preflight", "OPTIONS", "/dashboard", true, false},
		{"dashboard", "GET", "/dashboard", false, false},
		{"login", "GET", "/login", false, false},
		{"login preflight", "OPTIONS", "/login", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.corsRequest(tt.method, tt.path, origin, tt.preflight)
			h := resp.Header
			if got := h.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials: %q", got)
			}
			if !tt.open {
				for name := range h {
					if strings.HasPrefix(name, "Access-Control-") {
						t.Errorf("%s on a cookie route: %q", name, h.Get(name))
					}
				}
				return
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin: %q, want *", got)
			}
			if !tt.preflight {
				return
			}
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("preflight: %d", resp.StatusCode)
			}
			methods := h.Get("Access-Control-Allow-Methods")
			for _, m := range []string{"GET", "POST", "DELETE", "OPTIONS"} {
				if !strings.Contains(methods, m) {
					t.Errorf("Access-Control-Allow-Methods %q lacks %s", methods, m)
				}
			}
			allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
			for _, name := range []string{"authorization", "content-type", "x-api-key", "anthropic-version"} {
				if !strings.Contains(allowed, name) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, name)
				}
			}
		})
	}
}

// With CORS_ORIGINS a list, a listed origin is answered with itself and
// Vary: Origin; another origin gets no Access-Control-Allow-Origin.
func TestCORSListedOrigins(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"CORS_ORIGINS": "https://chat.example.com, http://localhost:3000"})
	tests := []struct {
		origin, method string
		preflight      bool
		want           string
	}{
		{"https://chat.example.com", "OPTIONS", true, "https://chat.example.com"},
		{"http://localhost:3000", "GET", false, "http://localhost:3000"},
		{"https://evil.example.net", "OPTIONS", true, ""},
		{"https://evil.example.net", "GET", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.origin+" "+tt.method, func(t *testing.T) {
			resp := e.corsRequest(tt.method, "/v1/models", tt.origin, tt.preflight)
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.want {
				t.Errorf("Access-Control-Allow-Origin: %q, want %q", got, tt.want)
			}
			if vary := resp.Header.Values("Vary"); !strings.Contains(strings.Join(vary, ","), "Origin") {
				t.Errorf("Vary: %q, want Origin", vary)
			}
			if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials: %q", got)
			}
		})
	}
}
