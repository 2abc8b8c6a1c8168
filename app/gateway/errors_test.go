package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"MAX_BODY_BYTES": "4096", "DISABLE_OPENROUTER": "true"})
	e.importKeys("ollama", "sk-input-0123456789abcdef")
	token := e.createToken("ollama")
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"not JSON", "POST", "/v1/chat/completions", token, "this is not json", 400, "invalid_json"},
		{"JSON array", "POST", "/v1/chat/completions", token, "[1,2]", 400, "invalid_json"},
		{"truncated JSON", "POST", "/v1/chat/completions", token, `{"model":"m",`, 400, "invalid_json"},
		{"empty body", "POST", "/v1/chat/completions", token, "", 400, "invalid_json"},
		{"too large", "POST", "/v1/chat/completions", token, `{"model":"` + strings.Repeat("x", 5000) + `"}`, 413, "request_too_large"},
		{"no token", "POST", "/v1/chat/completions", "", chatBody(false), 401, "invalid_api_key"},
		{"wrong token", "POST", "/v1/chat/completions", "sk-kp-nope", chatBody(false), 401, "invalid_api_key"},
		{"unknown path", "GET", "/v1/nothing-here", token, nil, 404, "not_found"},
		{"unknown root path", "GET", "/wp-login.php", "", nil, 404, "not_found"},
		{"disabled provider", "POST", "/openrouter/v1/chat/completions", token, chatBody(false), 503, "provider_disabled"},
		{"wrong method", "GET", "/v1/chat/completions", token, nil, 404, "not_found"},
	}
	for _, tt := range tests {
		status, body, hdr := e.do(tt.method, tt.path, tt.token, tt.body)
		if status != tt.status || !strings.Contains(string(body), `"code":"`+tt.code+`"`) {
			t.Errorf("%s: got %d %s, want %d with code %s", tt.name, status, body, tt.status, tt.code)
			continue
		}
		if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: Content-Type %q", tt.name, hdr.Get("Content-Type"))
		}
		assertOpenAIError(t, body)
	}
	if n := e.fake.Total().Requests; n != 0 {
		t.Errorf("bad requests reached the upstream %d times", n)
	}
}

// One provider's client token is refused on the other provider's routes.
func TestTokensAreScopedToTheirProvider(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, nil)
		e.importKeys("ollama", "sk-shared-0123456789abcdef")
		e.importKeys("openrouter", "sk-shared-0123456789abcdef")
		ot, rt := e.createToken("ollama"), e.createToken("openrouter")
		for _, tt := range []struct{ path, token string }{
			{"/v1/chat/completions", rt}, {"/ollama/v1/chat/completions", rt}, {"/openrouter/v1/chat/completions", ot},
		} {
			if status, body, _ := e.do("POST", tt.path, tt.token, chatBody(false)); status != http.StatusUnauthorized {
				t.Errorf("%s with the other provider's token: %d %s", tt.path, status, body)
			}
		}
		for _, tt := range []struct{ path, token string }{
			{"/v1/chat/completions", ot}, {"/openrouter/v1/chat/completions", rt},
		} {
			if status, body, _ := e.do("POST", tt.path, tt.token, chatBody(false)); status != http.StatusOK {
				t.Errorf("%s with its own token: %d %s", tt.path, status, body)
			}
		}
	})
}

// Upstream keys appear in no log line and no error, only masked.
func TestKeysNeverLeak(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"MAX_RETRIES": "2"})
	keys := []string{"sk-secret-one-0123456789abcdef", "sk-secret-two-0123456789abcdef"}
	e.importKeys("ollama", keys...)
	token := e.createToken("ollama")
	e.fake.SetFault(keys[0], fakeupstream401Quoting(keys[0]))
	e.fake.SetFault(keys[1], fakeupstream401Quoting(keys[1]))
	status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false))
	if status != http.StatusUnauthorized {
		t.Fatalf("got %d %s", status, body)
	}
	e.stop()
	logs := e.logs.String()
	for _, k := range keys {
		if strings.Contains(string(body), k) || strings.Contains(logs, k) {
			t.Errorf("key %s leaked:\nbody: %s\nlogs: %s", k, body, logs)
		}
	}
	if strings.Contains(logs, token) {
		t.Errorf("client token in logs")
	}
	if !strings.Contains(logs, "sk-sec") {
		t.Errorf("expected masked keys in the logs of failed keys:\n%s", logs)
	}
}
