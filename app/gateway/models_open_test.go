package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// The model lists answer without a token, as the original's did; a token
// that is sent is still checked; MODELS_REQUIRE_TOKEN=true closes them.
func TestModelsWithoutToken(t *testing.T) {
	t.Parallel()
	open := newTestEnv(t, "sqlite", nil)
	closed := newTestEnv(t, "sqlite", map[string]string{"MODELS_REQUIRE_TOKEN": "true"})
	tokens := map[*testEnv]map[string]string{}
	for _, e := range []*testEnv{open, closed} {
		tokens[e] = map[string]string{}
		for _, p := range []string{"ollama", "openrouter"} {
			e.importKeys(p, "sk-models-"+p+"-0123456789")
			tokens[e][p] = e.createToken(p)
		}
	}
	tests := []struct {
		name     string
		e        *testEnv
		provider string
		path     string
		token    string // "valid": the provider's token
		status   int
	}{
		{"no token", open, "ollama", "/v1/models", "", 200},
		{"no token, alias", open, "ollama", "/ollama/v1/models", "", 200},
		{"no token, openrouter", open, "openrouter", "/openrouter/v1/models", "", 200},
		{"no token, native tags", open, "ollama", "/api/tags", "", 200},
		{"valid token", open, "ollama", "/v1/models", "valid", 200},
		{"wrong token", open, "ollama", "/v1/models", "sk-kp-wrong", 401},
		{"wrong token, native tags", open, "ollama", "/api/tags", "sk-kp-wrong", 401},
		{"chat still needs a token", open, "ollama", "/v1/chat/completions", "", 401},
		{"closed: no token", closed, "ollama", "/v1/models", "", 401},
		{"closed: no token, openrouter", closed, "openrouter", "/openrouter/v1/models", "", 401},
		{"closed: no token, native tags", closed, "ollama", "/api/tags", "", 401},
		{"closed: valid token", closed, "openrouter", "/openrouter/v1/models", "valid", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token
			if token == "valid" {
				token = tokens[tt.e][tt.provider]
			}
			method, body := "GET", any(nil)
			if tt.path == "/v1/chat/completions" {
				method, body = "POST", chatBody(false)
			}
			if status, got, _ := tt.e.do(method, tt.path, token, body); status != tt.status {
				t.Errorf("%s %s: %d %s, want %d", method, tt.path, status, got, tt.status)
			}
		})
	}

	// The OpenAI SDK lists models before the user has entered a token.
	client := openai.NewClient(option.WithBaseURL(open.url+"/v1"), option.WithMaxRetries(0),
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			r.Header.Del("Authorization")
			return next(r)
		}))
	if models, err := client.Models.List(context.Background()); err != nil || len(models.Data) == 0 {
		t.Errorf("SDK models without a token: %v", err)
	}
}
