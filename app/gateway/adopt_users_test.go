package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
)

// originalDatabase returns the URL of a fresh PostgreSQL database made as
// the original project's schema.sql makes one (a reconstruction, in
// migrations/testdata), with the rows of a live installation: keys, and
// plaintext client tokens, some issued to users it deactivated.
func originalDatabase(t *testing.T) string {
	t.Helper()
	databaseURL, _ := storetest.URL(t, "postgres")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, databaseURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"original_schema.sql", "original_rows.sql"} {
		data, err := os.ReadFile("../../migrations/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, string(data)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return databaseURL
}

// Keypool started on the original's database keeps refusing the client
// tokens of the users the original deactivated (ollama_api_users.is_active
// = false), with 403 rather than 401: the token is known, its user is
// banned. Tokens of active users, and tokens linked to no user, work.
func TestAdoptedDeactivatedUsers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "postgres", map[string]string{"DATABASE_URL": originalDatabase(t)})
	tests := []struct {
		path, token string
		status      int
	}{
		{"/v1/chat/completions", "tok-orig-banned", http.StatusForbidden},
		{"/v1/models", "tok-orig-banned", http.StatusForbidden},
		{"/openrouter/v1/chat/completions", "tok-orig-or-banned", http.StatusForbidden},
		{"/openrouter/v1/models", "tok-orig-or-banned", http.StatusForbidden},
		{"/api/tags", "tok-orig-banned", http.StatusForbidden}, // Ollama's native shape: {"error":"…"}
		{"/v1/chat/completions", "tok-orig-active", http.StatusOK},
		{"/v1/models", "tok-orig-active", http.StatusOK},
		{"/v1/chat/completions", "tok-orig-unlinked", http.StatusOK},
		{"/v1/models", "tok-orig-unlinked", http.StatusOK},
		{"/openrouter/v1/chat/completions", "tok-orig-or-active", http.StatusOK},
		{"/v1/chat/completions", "sk-kp-never-issued", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		method, body := "GET", any(nil)
		if strings.HasSuffix(tt.path, "/chat/completions") {
			method, body = "POST", chatBody(false)
		}
		status, got, _ := e.do(method, tt.path, tt.token, body)
		if status != tt.status {
			t.Errorf("%s %s with %s: %d %s, want %d", method, tt.path, tt.token, status, got, tt.status)
			continue
		}
		if status != http.StatusForbidden {
			continue
		}
		if strings.HasPrefix(tt.path, "/api/") {
			var native struct{ Error string }
			if err := json.Unmarshal(got, &native); err != nil || !strings.Contains(native.Error, "deactivated") {
				t.Errorf("%s %s with %s: %s, want Ollama's error saying the user is deactivated", method, tt.path, tt.token, got)
			}
			continue
		}
		var answer struct {
			Error struct{ Message, Type, Code string }
		}
		if err := json.Unmarshal(got, &answer); err != nil || answer.Error.Code != "token_deactivated" ||
			answer.Error.Type != "invalid_request_error" || !strings.Contains(answer.Error.Message, "deactivated") {
			t.Errorf("%s %s with %s: %s, want an OpenAI-shaped token_deactivated error", method, tt.path, tt.token, got)
		}
	}
}
