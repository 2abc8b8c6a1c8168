package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestAdminBootstrap(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"DISABLE_OPENROUTER": "true"})
		for _, tok := range []string{"", "wrong", adminToken + "x"} {
			for _, path := range []string{"/admin/api-keys/import", "/admin/tokens"} {
				if status, body, _ := e.do("POST", path, tok, map[string]any{"keys": []string{"sk-x"}, "name": "n"}); status != http.StatusUnauthorized || !strings.Contains(string(body), `"error"`) {
					t.Errorf("POST %s with token %q: %d %s", path, tok, status, body)
				}
			}
		}
		status, body, _ := e.do("POST", "/admin/api-keys/import", adminToken, map[string]any{"provider": "ollama",
			"keys": []any{"sk-one-0123456789", " sk-two-0123456789 ", "sk-one-0123456789", "", "has space", strings.Repeat("k", 513),
				map[string]string{"api_key": "sk-three-0123456789", "username": "a@example.com"}, 42}})
		if status != http.StatusOK {
			t.Fatalf("import: %d %s", status, body)
		}
		var rep struct {
			Imported, Duplicates int
			Invalid              []struct {
				Line   int
				Reason string
			}
		}
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 3 || rep.Duplicates != 1 || len(rep.Invalid) != 4 || rep.Invalid[0].Line != 4 {
			t.Fatalf("import report: %s", body)
		}
		// Importing again: all duplicates, and the pool already has them.
		_, body, _ = e.do("POST", "/admin/api-keys/import?provider=ollama", adminToken, map[string]any{"keys": []string{"sk-one-0123456789"}})
		if !strings.Contains(string(body), `"imported":0,"duplicates":1`) {
			t.Fatalf("re-import: %s", body)
		}
		if h := e.health().Providers["ollama"]; h.Total != 3 {
			t.Fatalf("pool after import: %+v", h)
		}
		for _, tt := range []struct {
			path   string
			body   string
			status int
		}{
			{"/admin/api-keys/import?provider=bogus", `{"keys":["k"]}`, 400},
			{"/admin/api-keys/import?provider=openrouter", `{"keys":["k"]}`, 404},
			{"/admin/api-keys/import", `{"keys":`, 400},
			{"/admin/tokens", `{"name":""}`, 400},
			{"/admin/tokens?provider=openrouter", `{"name":"x"}`, 404},
		} {
			if status, body, _ := e.do("POST", tt.path, adminToken, tt.body); status != tt.status || !strings.Contains(string(body), `"error"`) {
				t.Errorf("POST %s %s: %d %s, want %d", tt.path, tt.body, status, body, tt.status)
			}
		}
	})
}
