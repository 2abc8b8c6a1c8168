package gateway_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// A disabled provider answers 503 "… is disabled by administrator" on
// every client route, in each route's error shape: switched off at
// runtime, and left out by DISABLE_* (its routes are still there to say
// so). Its native routes answer Ollama's {"error":"…"}.
func TestDisabledProviderAnswers503(t *testing.T) {
	t.Parallel()
	switched := newTestEnv(t, "sqlite", nil)
	switched.importKeys("ollama", "sk-off-ollama-0123456789")
	switched.importKeys("openrouter", "sk-off-openrouter-0123456789")
	tokens := map[string]string{"ollama": switched.createToken("ollama"), "openrouter": switched.createToken("openrouter")}
	for _, p := range []string{"ollama", "openrouter"} {
		switched.call("POST", "/admin/providers/"+p+"/disable", nil, 200, "")
	}
	noOllama := newTestEnv(t, "sqlite", map[string]string{"DISABLE_OLLAMA": "true"})
	noOpenRouter := newTestEnv(t, "sqlite", map[string]string{"DISABLE_OPENROUTER": "true"})

	type route struct {
		method, path, provider string
		native                 bool
	}
	ollama := []route{
		{"POST", "/v1/chat/completions", "ollama", false},
		{"POST", "/v1/embeddings", "ollama", false},
		{"GET", "/v1/models", "ollama", false},
		{"POST", "/ollama/v1/chat/completions", "ollama", false},
		{"POST", "/api/chat", "ollama", true},
		{"POST", "/api/generate", "ollama", true},
		{"GET", "/api/tags", "ollama", true},
		{"GET", "/api/version", "ollama", true},
		{"POST", "/ollama/api/chat", "ollama", true},
	}
	openrouter := []route{
		{"POST", "/openrouter/v1/chat/completions", "openrouter", false},
		{"POST", "/openrouter/v1/completions", "openrouter", false},
		{"GET", "/openrouter/v1/models", "openrouter", false},
	}
	tests := []struct {
		name   string
		e      *testEnv
		routes []route
	}{
		{"switched off", switched, append(append([]route{}, ollama...), openrouter...)},
		{"DISABLE_OLLAMA", noOllama, ollama},
		{"DISABLE_OPENROUTER", noOpenRouter, openrouter},
	}
	labels := map[string]string{"ollama": "Ollama", "openrouter": "OpenRouter"}
	for _, tt := range tests {
		for _, r := range tt.routes {
			t.Run(tt.name+" "+r.method+" "+r.path, func(t *testing.T) {
				var body any
				if r.method == "POST" {
					body = chatBody(false)
				}
				token := ""
				if tt.e == switched {
					token = tokens[r.provider]
				}
				status, got, _ := tt.e.do(r.method, r.path, token, body)
				want := labels[r.provider] + " is disabled by administrator"
				if status != http.StatusServiceUnavailable {
					t.Fatalf("%d %s, want 503", status, got)
				}
				if r.native {
					var e struct{ Error string }
					if err := json.Unmarshal(got, &e); err != nil || e.Error != want {
						t.Errorf("native answer %s, want {\"error\":%q}", got, want)
					}
					return
				}
				var e struct {
					Error struct{ Message, Type, Code string }
				}
				if err := json.Unmarshal(got, &e); err != nil || e.Error.Message != want || e.Error.Code != "provider_disabled" {
					t.Errorf("answer %s, want message %q and code provider_disabled", got, want)
				}
			})
		}
	}
	// The other provider of a DISABLE_* gateway is untouched.
	noOllama.importKeys("openrouter", "sk-on-openrouter-0123456789")
	if status, body, _ := noOllama.do("POST", chatPath("openrouter"), noOllama.createToken("openrouter"), chatBody(false)); status != 200 {
		t.Errorf("openrouter beside a disabled ollama: %d %s", status, body)
	}
}
