package fakeupstream

import (
	"net/http"
	"strings"
	"testing"
)

func TestGeneratedAnswers(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{Chunks: 3})
	tests := []struct {
		name, path, body, object string
		text                     []any // where the generated text is
	}{
		{"ollama chat", "/v1/chat/completions", `{"model":"gpt-oss:20b","messages":[{"role":"user","content":"hi"}]}`,
			"chat.completion", []any{"choices", 0, "message", "content"}},
		{"openrouter chat", "/api/v1/chat/completions", `{"model":"openai/gpt-4o-mini","messages":[],"stream":false}`,
			"chat.completion", []any{"choices", 0, "message", "content"}},
		{"ollama completion", "/v1/completions", `{"model":"gpt-oss:20b","prompt":"hi"}`,
			"text_completion", []any{"choices", 0, "text"}},
		{"openrouter completion", "/api/v1/completions", `{"model":"a/b","prompt":"hi"}`,
			"text_completion", []any{"choices", 0, "text"}},
		{"escaped model", "/v1/chat/completions", `{"model":"a\"b\u00e9","messages":[]}`,
			"chat.completion", []any{"choices", 0, "message", "content"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.mustDo(t, http.MethodPost, tt.path, "k-"+tt.name, tt.body)
			if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, type %q: %s", res.status, res.header.Get("Content-Type"), res.body)
			}
			m := decode(t, res.body)
			wantModel := decode(t, []byte(tt.body))["model"]
			checks := map[string][2]any{
				"object":        {m["object"], tt.object},
				"model":         {m["model"], wantModel},
				"text":          {dig(m, tt.text...), Content(3)},
				"finish_reason": {dig(m, "choices", 0, "finish_reason"), "stop"},
				"prompt":        {dig(m, "usage", "prompt_tokens"), float64(PromptTokens(len(tt.body)))},
				"completion":    {dig(m, "usage", "completion_tokens"), float64(3)},
				"total":         {dig(m, "usage", "total_tokens"), float64(PromptTokens(len(tt.body)) + 3)},
			}
			for name, c := range checks {
				if c[0] != c[1] {
					t.Errorf("%s = %v, want %v", name, c[0], c[1])
				}
			}
			if role := dig(m, "choices", 0, "message", "role"); tt.object == "chat.completion" && role != "assistant" {
				t.Errorf("role = %v", role)
			}
		})
	}
}

func TestEmbeddingsAndCatalog(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	emb := `{"model":"nomic-embed-text","input":"hello"}`
	tests := []struct {
		name, method, path, body string
		want                     map[string]any // dig path (space separated) → value
	}{
		{"ollama embeddings", http.MethodPost, "/v1/embeddings", emb, map[string]any{
			"object": "list", "model": "nomic-embed-text", "data.0.object": "embedding",
			"usage.prompt_tokens": float64(PromptTokens(len(emb))), "usage.total_tokens": float64(PromptTokens(len(emb))),
		}},
		{"openrouter embeddings", http.MethodPost, "/api/v1/embeddings", emb, map[string]any{
			"object": "list", "data.0.index": float64(0),
		}},
		{"ollama models", http.MethodGet, "/v1/models", "", map[string]any{
			"object": "list", "data.0.id": "gpt-oss:120b", "data.0.object": "model", "data.0.owned_by": "ollama",
		}},
		{"openrouter models", http.MethodGet, "/api/v1/models", "", map[string]any{
			"data.0.id": "openai/gpt-4o-mini", "data.1.id": "meta-llama/llama-3.3-70b-instruct:free",
		}},
		{"openrouter key", http.MethodGet, "/api/v1/key", "", map[string]any{
			"data.label": "sk-or-v1-abc...xyz", "data.limit": float64(10), "data.limit_remaining": 9.5,
			"data.usage": 0.5, "data.is_free_tier": false,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.mustDo(t, tt.method, tt.path, "key", tt.body)
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			m := decode(t, res.body)
			for path, want := range tt.want {
				if got := dig(m, splitPath(path)...); got != want {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
			if tt.method == http.MethodPost && len(dig(m, "data", 0, "embedding").([]any)) == 0 {
				t.Error("empty embedding")
			}
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, Options{})
	tests := []struct {
		name, method, path, key, body string
		status                        int
	}{
		{"ollama unknown path", http.MethodGet, "/v1/nope", "k", "", http.StatusNotFound},
		{"openrouter unknown path", http.MethodGet, "/api/v1/nope", "k", "", http.StatusNotFound},
		{"root", http.MethodGet, "/", "k", "", http.StatusNotFound},
		{"ollama no key", http.MethodPost, "/v1/chat/completions", "", `{"model":"m"}`, http.StatusUnauthorized},
		{"openrouter no key", http.MethodGet, "/api/v1/key", "", "", http.StatusUnauthorized},
		{"ollama bad json", http.MethodPost, "/v1/chat/completions", "k", `{"model":`, http.StatusBadRequest},
		{"openrouter bad json", http.MethodPost, "/api/v1/chat/completions", "k", `not json`, http.StatusBadRequest},
		{"not an object", http.MethodPost, "/v1/completions", "k", `[1,2]`, http.StatusBadRequest},
		{"empty body", http.MethodPost, "/v1/embeddings", "k", "", http.StatusBadRequest},
		{"ollama no model", http.MethodPost, "/v1/chat/completions", "k", `{"messages":[]}`, http.StatusBadRequest},
		{"openrouter model not a string", http.MethodPost, "/api/v1/chat/completions", "k", `{"model":1}`, http.StatusBadRequest},
		{"wrong method", http.MethodGet, "/v1/chat/completions", "k", "", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.mustDo(t, tt.method, tt.path, tt.key, tt.body)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			checkErrorShape(t, tt.path, tt.status, res.body)
		})
	}
}

// checkErrorShape checks an error body against the shape of the provider
// path belongs to and returns the decoded error object.
func checkErrorShape(t *testing.T, path string, status int, body []byte) map[string]any {
	t.Helper()
	e, ok := decode(t, body)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object: %s", body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("empty message: %s", body)
	}
	if isOpenRouter(path) {
		if e["code"] != float64(status) {
			t.Errorf("code = %v, want %d", e["code"], status)
		}
		if _, ok := e["metadata"].(map[string]any); !ok {
			t.Errorf("no metadata: %s", body)
		}
	} else if typ, _ := e["type"].(string); typ == "" {
		t.Errorf("no type: %s", body)
	}
	return e
}

// isOpenRouter reports whether path is one of OpenRouter's routes.
func isOpenRouter(path string) bool { return strings.HasPrefix(path, "/api/v1/") }
