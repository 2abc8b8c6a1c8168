package proxy

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/provider"
)

// send answers one request through the env's app; token "" sends no
// Authorization at all.
func (e *testEnv) send(method, path, token string) (int, string) {
	e.t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"model":"gpt-oss:120b","messages":[{"role":"user","content":"hi"}],"stream":false}`)
	}
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// The model lists answer without a token unless ModelsRequireToken; a
// token that is sent is checked; other routes always want one.
func TestModelListsOpenWithoutToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		requireToken bool
		method, path string
		token        string
		status       int
	}{
		{"models, no token", false, "GET", "/v1/models", "", 200},
		{"models alias, no token", false, "GET", "/ollama/v1/models", "", 200},
		{"tags, no token", false, "GET", "/api/tags", "", 200},
		{"models, token", false, "GET", "/v1/models", testToken, 200},
		{"models, wrong token", false, "GET", "/v1/models", "sk-kp-wrong", 401},
		{"tags, wrong token", false, "GET", "/api/tags", "sk-kp-wrong", 401},
		{"chat, no token", false, "POST", "/v1/chat/completions", "", 401},
		{"native chat, no token", false, "POST", "/api/chat", "", 401},
		{"required: models, no token", true, "GET", "/v1/models", "", 401},
		{"required: tags, no token", true, "GET", "/api/tags", "", 401},
		{"required: models, token", true, "GET", "/v1/models", testToken, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{cfg: Config{ModelsRequireToken: tt.requireToken}})
			if status, body := e.send(tt.method, tt.path, tt.token); status != tt.status {
				t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, status, body, tt.status)
			}
		})
	}
}

// A disabled provider answers 503 "… is disabled by administrator" in
// each route's shape: switched off at runtime, or left out (a nil target).
func TestDisabledProviderRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		served       string // the env's provider
		switchOff    bool
		method, path string
		label        string
		native       bool
	}{
		{"left out: openrouter chat", provider.Ollama, false, "POST", "/openrouter/v1/chat/completions", "OpenRouter", false},
		{"left out: openrouter models", provider.Ollama, false, "GET", "/openrouter/v1/models", "OpenRouter", false},
		{"left out: ollama chat", provider.OpenRouter, false, "POST", "/v1/chat/completions", "Ollama", false},
		{"left out: ollama alias", provider.OpenRouter, false, "POST", "/ollama/v1/chat/completions", "Ollama", false},
		{"left out: native chat", provider.OpenRouter, false, "POST", "/api/chat", "Ollama", true},
		{"left out: native alias", provider.OpenRouter, false, "GET", "/ollama/api/tags", "Ollama", true},
		{"switched off: chat", provider.Ollama, true, "POST", "/v1/chat/completions", "Ollama", false},
		{"switched off: models", provider.Ollama, true, "GET", "/v1/models", "Ollama", false},
		{"switched off: native chat", provider.Ollama, true, "POST", "/api/chat", "Ollama", true},
		{"switched off: tags", provider.Ollama, true, "GET", "/api/tags", "Ollama", true},
		{"switched off: version", provider.Ollama, true, "GET", "/api/version", "Ollama", true},
		{"switched off: openrouter", provider.OpenRouter, true, "POST", "/openrouter/v1/chat/completions", "OpenRouter", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, envOptions{provider: tt.served})
			if tt.switchOff {
				e.target.Provider.SetEnabled(false)
			}
			status, body := e.send(tt.method, tt.path, testToken)
			if status != http.StatusServiceUnavailable {
				t.Fatalf("%d %s, want 503", status, body)
			}
			want := tt.label + " is disabled by administrator"
			if tt.native {
				var got struct{ Error string }
				if err := json.Unmarshal([]byte(body), &got); err != nil || got.Error != want {
					t.Errorf("%s, want {\"error\":%q}", body, want)
				}
			} else {
				var got struct {
					Error struct{ Message, Code string }
				}
				if err := json.Unmarshal([]byte(body), &got); err != nil || got.Error.Message != want || got.Error.Code != "provider_disabled" {
					t.Errorf("%s, want message %q, code provider_disabled", body, want)
				}
			}
			if n := e.attemptsTotal(); n != 0 {
				t.Errorf("%d requests reached the upstream", n)
			}
		})
	}
}

// A left-out provider's prefixes take only their own paths: /api-docs and
// /v1x are not Ollama's.
func TestDisabledPrefixesKeepToTheirSegments(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{provider: provider.OpenRouter})
	for _, path := range []string{"/api-docs", "/apix", "/v1x", "/ollamax"} {
		if status, body := e.send("GET", path, ""); status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want the router's 404", path, status, body)
		}
	}
	if status, _ := e.send("GET", "/api", ""); status != http.StatusServiceUnavailable {
		t.Errorf("GET /api: %d, want 503", status)
	}
}
