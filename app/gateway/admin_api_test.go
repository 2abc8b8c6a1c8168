package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// keyJSON is one key of the admin API's key answers.
type keyJSON struct {
	ID                  string
	APIKey              string `json:"api_key"`
	Username            string
	Status              string
	DisabledUntil       *time.Time `json:"disabled_until"`
	CoolingDownUntil    *time.Time `json:"cooling_down_until"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	Stats               struct {
		TotalRequests int64 `json:"total_requests"`
		SuccessCount  int64 `json:"success_count"`
	}
}

type keyListJSON struct {
	Page    int
	PerPage int `json:"per_page"`
	Total   int64
	Keys    []keyJSON
}

// call sends a request and checks its status; error answers must be
// {"error":…} containing wantErr.
func (e *testEnv) call(method, path string, body any, status int, wantErr string) []byte {
	e.t.Helper()
	got, data, _ := e.do(method, path, adminToken, body)
	if got != status {
		e.t.Fatalf("%s %s %v: %d %s, want %d", method, path, body, got, data, status)
	}
	if status >= 400 {
		var out struct{ Error string }
		if err := json.Unmarshal(data, &out); err != nil || !strings.Contains(out.Error, wantErr) {
			e.t.Fatalf("%s %s: error %s, want one containing %q", method, path, data, wantErr)
		}
	}
	return data
}

// listKeys GETs /admin/api-keys with query.
func (e *testEnv) listKeys(query string) keyListJSON {
	e.t.Helper()
	var out keyListJSON
	e.getJSON("/admin/api-keys?"+query, adminToken, &out)
	return out
}

func TestAdminKeyBadInput(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"DISABLE_OPENROUTER": "true"})
		defer func() {
			if t.Failed() {
				t.Log(e.logs.String())
			}
		}()
		e.importKeys("ollama", "sk-stored-0123456789abcdef")
		tests := []struct {
			method, path string
			body         any
			status       int
			err          string
		}{
			{"POST", "/admin/api-keys", `{"api_key":`, 400, "malformed JSON at byte 11"},
			{"POST", "/admin/api-keys", `{"api_key":5}`, 400, "malformed JSON at byte 12"},
			{"POST", "/admin/api-keys", `{}`, 400, "empty key"},
			{"POST", "/admin/api-keys", `{"api_key":"sk-x-0123456789","expires_at":"tomorrow"}`, 400, "malformed JSON"},
			{"POST", "/admin/api-keys", `{"api_key":"has space"}`, 400, "spaces"},
			{"POST", "/admin/api-keys", `{"api_key":"` + strings.Repeat("k", 513) + `"}`, 400, "longer than 512"},
			{"POST", "/admin/api-keys", `{"api_key":"sk-stored-0123456789abcdef"}`, 409, "already exists"},
			{"POST", "/admin/api-keys?provider=bogus", `{"api_key":"sk-x-0123456789"}`, 400, "unknown provider"},
			{"POST", "/admin/api-keys", `{"api_key":"sk-x-0123456789","provider":"openrouter"}`, 404, "disabled"},
			{"GET", "/admin/api-keys?provider=openrouter", nil, 404, "disabled"},
			{"GET", "/admin/api-keys?provider=nope", nil, 400, "unknown provider"},
			{"GET", "/admin/api-keys?status=broken", nil, 400, "status must be"},
			{"GET", "/admin/api-keys?per_page=501", nil, 400, "per_page must be"},
			{"GET", "/admin/api-keys?per_page=0", nil, 400, "per_page must be"},
			{"GET", "/admin/api-keys?page=x", nil, 400, "page must be"},
			{"GET", "/admin/api-keys?sort=name", nil, 400, "sort must be"},
			{"GET", "/admin/api-keys?order=up", nil, 400, "order must be"},
			{"DELETE", "/admin/api-keys", `{}`, 400, "api_keys"},
			{"DELETE", "/admin/api-keys", `[1,2]`, 400, "malformed JSON"},
			{"DELETE", "/admin/api-keys", `{"api_key":"sk-never-stored-0123456789"}`, 404, "unknown key sk-nev"},
			{"DELETE", "/admin/api-keys/sk-never-stored-0123456789", nil, 404, "unknown key"},
			{"DELETE", "/admin/api-keys/0123456789abcdef", nil, 404, "unknown key"},
			{"POST", "/admin/keys/enable", `{"api_key":"sk-never-stored-0123456789"}`, 404, "unknown key"},
			{"POST", "/admin/keys/enable", `{"id":"0123456789abcdef"}`, 404, "unknown key"},
			{"POST", "/admin/keys/enable", ``, 400, "api_key"},
			{"POST", "/admin/keys/enable", `{"api_key":`, 400, "malformed JSON at byte 11"},
			{"POST", "/admin/keys/enable?provider=openrouter", `{"api_key":"sk-stored-0123456789abcdef"}`, 404, "disabled"},
			{"POST", "/admin/keys/disable", `{"api_key":"sk-stored-0123456789abcdef","duration":-1}`, 400, "duration must be"},
			{"POST", "/admin/keys/disable", `{"api_key":"sk-stored-0123456789abcdef","duration":"1h"}`, 400, "malformed JSON"},
			{"POST", "/admin/keys/disable", `{"api_key":"sk-stored-0123456789abcdef","provider":"x"}`, 400, "unknown provider"},
		}
		for _, tt := range tests {
			e.call(tt.method, tt.path, tt.body, tt.status, tt.err)
		}
		// None of it touched the stored key.
		if l := e.listKeys(""); l.Total != 1 || l.Keys[0].Status != "active" {
			t.Fatalf("after bad input: %+v", l)
		}
	})
}

// chatUntil sends chats until key has served one (round robin reaches
// every key within the pool's size).
func (e *testEnv) chatUntil(token, key string) {
	e.t.Helper()
	for i := 0; i < 10 && e.fake.Counts(key).Requests == 0; i++ {
		if status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false)); status != http.StatusOK {
			e.t.Fatalf("chat: %d %s", status, body)
		}
	}
	if e.fake.Counts(key).Requests == 0 {
		e.t.Fatalf("key %s never served", key)
	}
}

// keyIDOf is the admin API's id of a key.
func keyIDOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}
