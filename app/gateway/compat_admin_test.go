package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// compatAt walks a decoded JSON value along a dotted path ("a.0.b").
func compatAt(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// compatType names a decoded JSON value's type as the checks write it.
func compatType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// compatFields checks that body holds each path with its type ("string",
// "number", …, "string|null" for either), or, for a value that is not a
// type name, that exact value as JSON ("=true", `="Added"`).
func compatFields(t *testing.T, what string, body []byte, want map[string]string) map[string]any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: not JSON: %s", what, body)
	}
	for path, w := range want {
		got, ok := compatAt(v, path)
		if !ok {
			t.Errorf("%s: no %s in %s", what, path, body)
			continue
		}
		if exact, isExact := strings.CutPrefix(w, "="); isExact {
			if b, _ := json.Marshal(got); string(b) != exact {
				t.Errorf("%s: %s = %s, want %s", what, path, b, exact)
			}
			continue
		}
		if typ := compatType(got); !strings.Contains("|"+w+"|", "|"+typ+"|") {
			t.Errorf("%s: %s is %s (%v), want %s", what, path, typ, got, w)
		}
	}
	m, _ := v.(map[string]any)
	return m
}

// TestCompatAdminKeys sends ollama-api-pool's key requests as its scripts
// and dashboard sent them, and checks the original's answer fields and
// types (Keypool's own fields ride along).
func TestCompatAdminKeys(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	const a, b, c = "sk-compat-a-0123456789abcdef", "sk-compat-b-0123456789abcdef", "sk-compat-c-0123456789abcdef"
	tests := []struct {
		name, method, path string
		body               any
		status             int
		want               map[string]string
	}{
		{"add with apiKey and ttl", "POST", "/admin/api-keys", map[string]any{"apiKey": a, "username": "alice@example.com", "ttl": 3600},
			201, map[string]string{"success": "=true", "message": `="Added"`, "expires_at": "string"}},
		{"add again", "POST", "/admin/api-keys", map[string]any{"api_key": a},
			409, map[string]string{"success": "=false", "message": `="Already exists"`, "error": "string"}},
		{"add by the body's provider", "POST", "/admin/api-keys", map[string]any{"api_key": b, "provider": "ollama"},
			201, map[string]string{"success": "=true", "message": `="Added"`}},
		{"import", "POST", "/admin/api-keys/import", map[string]any{"keys": []string{c, a, c}, "provider": "ollama"},
			200, map[string]string{"total": "=3", "added": "=1", "existing": "=1", "duplicates": "number"}},
		{"list, page 1 of 2", "GET", "/admin/api-keys?page=1&pageSize=2&status=all", nil,
			200, map[string]string{"api_keys": "array", "api_keys.1.api_key": "string", "api_keys.0.username": "string",
				"api_keys.0.status": `="active"`, "api_keys.0.created_at": "string", "api_keys.0.expires_at": "string|null",
				"total": "=3", "page": "=1", "pageSize": "=2", "totalPages": "=2", "keys": "array", "per_page": "=2"}},
		{"list, search", "GET", "/admin/api-keys?search=ALICE", nil,
			200, map[string]string{"total": "=1", "api_keys.0.username": `="alice@example.com"`, "api_keys.0.expires_at": "string"}},
		{"list, fetch=all", "GET", "/admin/api-keys?fetch=all&pageSize=1", nil,
			200, map[string]string{"total": "=3", "page": "=1", "pageSize": "=3", "totalPages": "=1", "api_keys.2.api_key": "string"}},
		{"list, revealed", "GET", "/admin/api-keys?search=compat-a&reveal=true", nil,
			200, map[string]string{"api_keys.0.api_key": `="` + a + `"`}},
		{"disable with apiKey", "POST", "/admin/keys/disable", map[string]any{"apiKey": a, "duration": 60},
			200, map[string]string{"success": "=true", "message": "string", "status": `="disabled"`}},
		{"disable with apiKey, no duration: an hour, as the original", "POST", "/admin/keys/disable", map[string]any{"apiKey": a},
			200, map[string]string{"success": "=true", "status": `="disabled"`, "disabled_until": "string"}},
		{"disable with api_key, no duration: until enabled, as Keypool", "POST", "/admin/keys/disable", map[string]any{"api_key": a},
			200, map[string]string{"success": "=true", "status": `="disabled"`, "disabled_until": "null"}},
		{"enable with apiKey", "POST", "/admin/keys/enable", map[string]any{"apiKey": a},
			200, map[string]string{"success": "=true", "message": "string", "status": `="active"`}},
		{"delete with apiKey", "DELETE", "/admin/api-keys", map[string]any{"apiKey": a},
			200, map[string]string{"success": "=true"}},
		{"delete with apiKeys", "DELETE", "/admin/api-keys", map[string]any{"apiKeys": []string{b, "sk-never-stored-0123456789"}},
			200, map[string]string{"success": "=true", "deleted": "=1", "failed": "=1", "total": "=2"}},
		{"delete in the path", "DELETE", "/admin/api-keys/" + url.PathEscape(c), nil,
			200, map[string]string{"success": "=true"}},
		{"delete an unknown key", "DELETE", "/admin/api-keys", map[string]any{"apiKey": a},
			404, map[string]string{"success": "=false", "error": "string"}},
		{"delete an unknown key in the path", "DELETE", "/admin/api-keys/" + url.PathEscape(a), nil,
			404, map[string]string{"success": "=false", "error": "string"}},
		{"unknown provider", "POST", "/admin/api-keys", map[string]any{"apiKey": a, "provider": "bogus"},
			400, map[string]string{"error": "string"}},
	}
	for _, tt := range tests {
		status, body, _ := e.do(tt.method, tt.path, adminToken, tt.body)
		if status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, status, body, tt.status)
			continue
		}
		compatFields(t, tt.name, body, tt.want)
		if strings.Contains(tt.path, "reveal") {
			continue
		}
		for _, k := range []string{a, b, c} {
			if strings.Contains(string(body), k) {
				t.Errorf("%s: a whole key in %s", tt.name, body)
			}
		}
	}
	if n := e.health().Providers["ollama"].Total; n != 0 {
		t.Errorf("%d keys left after the deletes", n)
	}
}

// TestCompatAdminImportFormats: import-from-txt's JSON {content} with
// ollama.txt's 4- and 5-field lines, and /admin/import's accounts, store
// the keys (never an aid) under the right user name.
func TestCompatAdminImportFormats(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	content := "alice@x----pw----sess;aid=11----sk-txt-a-0123456789abcdef\n" +
		"bob@x----pw----sess----aid22----sk-txt-b-0123456789abcdef\n" +
		"carol@x----pw----sess----sk-txt-c-0123456789abcdef----aid=33\n"
	status, body, _ := e.do("POST", "/admin/api-keys/import-from-txt", adminToken, map[string]any{"content": content, "provider": "ollama"})
	if status != 200 {
		t.Fatalf("import-from-txt: %d %s", status, body)
	}
	compatFields(t, "import-from-txt", body, map[string]string{"total": "=3", "added": "=3", "existing": "=0", "duplicates": "=0"})

	accounts := []any{
		"dave@x----pw----sess----aid44----sk-acc-d-0123456789abcdef",
		map[string]any{"api_key": "sk-acc-e-0123456789abcdef", "email": "erin@x"},
		map[string]any{"api_key": "sk-acc-f-0123456789abcdef", "username": "frank"},
		"sk-acc-g-0123456789abcdef",
		"sk-txt-a-0123456789abcdef", // stored already
		"a----b",                    // too few fields
		map[string]any{"key": "x"},  // no api_key
	}
	status, body, _ = e.do("POST", "/admin/import", adminToken, map[string]any{"accounts": accounts, "provider": "ollama"})
	if status != 200 {
		t.Fatalf("/admin/import: %d %s", status, body)
	}
	compatFields(t, "/admin/import", body, map[string]string{"success": "=true", "imported": "=4", "failed": "=3", "total": "=7",
		"duplicates": "=1", "skipped": "=0", "details": "array", "details.0.error": "string"})
	if status, body, _ = e.do("POST", "/admin/import", adminToken, map[string]any{"accounts": accounts, "provider": "bogus"}); status != 400 {
		t.Errorf("/admin/import, unknown provider: %d %s", status, body)
	}

	users := map[string]string{}
	var list struct {
		APIKeys []struct {
			APIKey   string `json:"api_key"`
			Username string
		} `json:"api_keys"`
	}
	e.getJSON("/admin/api-keys?fetch=all&reveal=true", adminToken, &list)
	for _, k := range list.APIKeys {
		users[k.APIKey] = k.Username
	}
	for key, user := range map[string]string{"sk-txt-a-0123456789abcdef": "alice@x", "sk-txt-b-0123456789abcdef": "bob@x",
		"sk-txt-c-0123456789abcdef": "carol@x", "sk-acc-d-0123456789abcdef": "dave@x", "sk-acc-e-0123456789abcdef": "erin@x",
		"sk-acc-f-0123456789abcdef": "frank", "sk-acc-g-0123456789abcdef": ""} {
		if got, ok := users[key]; !ok || got != user {
			t.Errorf("key %s: stored %v with user %q, want %q", key, ok, got, user)
		}
	}
	if len(users) != 7 {
		t.Errorf("stored %d keys, want 7: %v", len(users), users)
	}
}

// TestCompatAdminProbes: import-with-validation and the health check
// answer synchronously with the original's fields; verify-key probes one
// key and applies the verdict.
func TestCompatAdminProbes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	const good, bad = "sk-probe-good-0123456789abcdef", "sk-probe-bad-0123456789abcdef"
	e.fake.SetFault(bad, fakeupstream.Fault{Status: 401})
	status, body, _ := e.do("POST", "/admin/api-keys/import-with-validation", adminToken, map[string]any{"content": good + "\n" + bad + "\n"})
	if status != 200 {
		t.Fatalf("import-with-validation: %d %s", status, body)
	}
	compatFields(t, "import-with-validation", body, map[string]string{"total": "=2", "valid": "array", "valid.0.key": "string",
		"valid.0.fullKey": "string", "valid.0.category": "string", "valid.0.model": "string", "valid.0.addedAt": "string",
		"invalid.0.key": "string", "invalid.0.error": "string", "categories": "object", "categories.general.0.key": "string",
		"complete": "=true"})
	if strings.Contains(string(body), good) || strings.Contains(string(body), bad) {
		t.Errorf("import-with-validation shows a whole key: %s", body)
	}
	if n := e.health().Providers["ollama"].Total; n != 1 {
		t.Errorf("%d keys stored after validation, want the good one", n)
	}
	e.importKeys("ollama", bad)

	status, body, _ = e.do("POST", "/admin/keys/health-check?reveal=true", adminToken, nil)
	if status != 200 {
		t.Fatalf("health-check: %d %s", status, body)
	}
	m := compatFields(t, "health-check", body, map[string]string{"results": "array", "results.0.apiKey": "string",
		"results.0.fullKey": "string", "results.0.healthy": "bool", "results.0.status": "number", "results.0.timestamp": "string",
		"results.1.healthy": "bool"})
	healthy := map[string]bool{}
	for _, r := range m["results"].([]any) {
		r := r.(map[string]any)
		healthy[r["fullKey"].(string)] = r["healthy"].(bool)
		if !r["healthy"].(bool) && r["error"] == nil {
			t.Errorf("an unhealthy key without its error: %v", r)
		}
	}
	if !healthy[good] || healthy[bad] || len(healthy) != 2 {
		t.Errorf("health-check results by key: %v", healthy)
	}

	for _, tt := range []struct {
		key    string
		want   map[string]string
		status string
	}{
		{good, map[string]string{"valid": "=true", "status": "=200", "apiKey": "string", "timestamp": "string"}, "active"},
		{bad, map[string]string{"valid": "=false", "status": "=401", "error": "string", "apiKey": "string", "timestamp": "string"}, "failed"},
	} {
		status, body, _ := e.do("POST", "/admin/verify-key", adminToken, map[string]string{"apiKey": tt.key})
		if status != 200 {
			t.Fatalf("verify-key: %d %s", status, body)
		}
		compatFields(t, "verify-key", body, tt.want)
		if strings.Contains(string(body), tt.key) {
			t.Errorf("verify-key shows the whole key: %s", body)
		}
		if l := e.listKeys("q=" + url.QueryEscape(tt.key)); len(l.Keys) != 1 || l.Keys[0].Status != tt.status {
			t.Errorf("after verify-key: %+v, want %s", l, tt.status)
		}
	}
	if status, body, _ := e.do("POST", "/admin/verify-key", adminToken, map[string]string{"apiKey": "sk-never-stored-0123456789"}); status != 404 {
		t.Errorf("verify-key of an unknown key: %d %s", status, body)
	}
}

// TestCompatAdminTokens: tokens made with expiresIn or ttl seconds, listed
// in the original's fields (its "token" is the id: the plaintext is not
// kept) and deleted by the plaintext or by that listed token.
func TestCompatAdminTokens(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	status, body, _ := e.do("POST", "/admin/tokens", adminToken, map[string]any{"name": "script", "expiresIn": 86400})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	m := compatFields(t, "POST /admin/tokens", body, map[string]string{"token": "string", "name": `="script"`, "expiresAt": "string"})
	plain := m["token"].(string)
	if at, err := time.Parse(time.RFC3339, m["expiresAt"].(string)); err != nil || time.Until(at) < 23*time.Hour || time.Until(at) > 25*time.Hour {
		t.Errorf("expiresAt %v (%v), want a day from now", m["expiresAt"], err)
	}
	status, body, _ = e.do("POST", "/admin/client-tokens", adminToken, map[string]any{"name": "client", "ttl": 60})
	if status != http.StatusCreated {
		t.Fatalf("create client token: %d %s", status, body)
	}
	m = compatFields(t, "POST /admin/client-tokens", body, map[string]string{"token": "string", "name": `="client"`})
	client := m["token"].(string)

	for _, path := range []string{"/admin/tokens", "/admin/client-tokens"} {
		status, body, _ := e.do("GET", path, adminToken, nil)
		field := strings.ReplaceAll(strings.TrimPrefix(path, "/admin/"), "-", "_")
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		compatFields(t, path, body, map[string]string{field: "array", field + ".1.token": "string", field + ".0.name": `="script"`,
			field + ".0.createdAt": "string", field + ".0.expires_at": "string", field + ".0.requestCount": "number",
			field + ".0.id": "string", field + ".0.prefix": "string"})
		if strings.Contains(string(body), plain) || strings.Contains(string(body), client) {
			t.Errorf("%s shows a token: %s", path, body)
		}
	}
	var list struct {
		Tokens []struct{ Token, Name string }
	}
	e.getJSON("/admin/tokens", adminToken, &list)

	if status, body, _ := e.do("DELETE", "/admin/client-tokens/"+url.PathEscape(client), adminToken, nil); status != 200 {
		t.Fatalf("delete by path: %d %s", status, body)
	} else {
		compatFields(t, "DELETE /admin/client-tokens/{token}", body, map[string]string{"success": "=true"})
	}
	status, body, _ = e.do("DELETE", "/admin/tokens", adminToken, map[string]string{"token": plain})
	if status != 200 {
		t.Fatalf("delete by token: %d %s", status, body)
	}
	compatFields(t, "DELETE /admin/tokens", body, map[string]string{"success": "=true", "deleted": "=1"})
	if status, body, _ = e.do("DELETE", "/admin/tokens", adminToken, map[string]string{"token": list.Tokens[0].Token}); status != 404 {
		t.Errorf("delete of a deleted token by its listed token: %d %s", status, body)
	}
	if status, _, _ := e.do("POST", chatPath("ollama"), plain, chatBody(false)); status != http.StatusUnauthorized {
		t.Errorf("a deleted token chats: %d", status)
	}
	// A token deleted by its listed "token" (the id).
	e.do("POST", "/admin/tokens", adminToken, map[string]any{"name": "again"})
	e.getJSON("/admin/tokens", adminToken, &list)
	if len(list.Tokens) != 1 {
		t.Fatalf("tokens: %+v", list)
	}
	if status, body, _ = e.do("DELETE", "/admin/tokens", adminToken, map[string]string{"token": list.Tokens[0].Token}); status != 200 {
		t.Errorf("delete by the listed token: %d %s", status, body)
	}
}

// TestCompatAdminStats: /admin/stats, /admin/keys/stats and
// /admin/public-stats in the original's fields and types.
func TestCompatAdminStats(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"STATS_FLUSH_INTERVAL": "100ms", "PUBLIC_STATS_TTL": "1s"})
	const key = "sk-stats-0123456789abcdef"
	e.importKeys("ollama", key)
	e.chatN(e.createToken("ollama"), 2)
	e.waitTotal(2)

	status, body, _ := e.do("GET", "/admin/stats", adminToken, nil)
	if status != 200 {
		t.Fatalf("stats: %d %s", status, body)
	}
	compatFields(t, "/admin/stats", body, map[string]string{"total_api_keys": "=1", "active_keys": "=1", "failed_keys": "=0",
		"total_client_tokens": "=1", "total_requests": "=2", "success_count": "=2", "failure_count": "=0",
		"success_rate": "number", "successRate": `="100.00"`, "storage": "string", "timestamp": "string"})

	status, body, _ = e.do("GET", "/admin/keys/stats", adminToken, nil)
	if status != 200 {
		t.Fatalf("keys/stats: %d %s", status, body)
	}
	compatFields(t, "/admin/keys/stats", body, map[string]string{"stats": "array", "stats.0.apiKey": "string", "stats.0.fullKey": "string",
		"stats.0.totalRequests": "=2", "stats.0.successCount": "=2", "stats.0.failureCount": "=0", "stats.0.successRate": `="100.00"`,
		"stats.0.lastUsed": "string", "stats.0.status": `="active"`, "stats.0.disabledReason": "null|string", "keys": "array"})
	if strings.Contains(string(body), key) {
		t.Errorf("keys/stats shows the whole key: %s", body)
	}
	_, body, _ = e.do("GET", "/admin/keys/stats?reveal=true", adminToken, nil)
	compatFields(t, "/admin/keys/stats?reveal=true", body, map[string]string{"stats.0.fullKey": `="` + key + `"`, "stats.0.apiKey": `="sk-sta…cdef"`})

	status, body, _ = e.do("GET", "/admin/public-stats?provider=ollama", "", nil)
	if status != 200 {
		t.Fatalf("public-stats: %d %s", status, body)
	}
	m := compatFields(t, "/admin/public-stats", body, map[string]string{"global.totalRequests": "=2", "global.successCount": "=2",
		"global.failureCount": "=0", "global.successRate": `="100.00"`, "global.lastUpdated": "string", "global.totalApiKeys": "=1",
		"global.activeKeys": "=1", "global.failedKeys": "=0", "global.storage": "string",
		"topModels": "array", "topModels.0.model": "string", "topModels.0.requests": "=2", "topModels.0.success": "=2",
		"topModels.0.failure": "=0", "topModels.0.successRate": `="100.00"`,
		"recentTopModels": "array", "recentTopModels.0.requests": "=2",
		"hourlyTrend": "array", "storage": "string", "timestamp": "string",
		"total_requests": "=2", "hourly": "array"}) // Keypool's own fields stay
	trend := m["hourlyTrend"].([]any)
	if len(trend) != 24 {
		t.Fatalf("hourlyTrend has %d hours, want 24", len(trend))
	}
	hhmm := regexp.MustCompile(`^([01][0-9]|2[0-3]):00$`)
	var sum float64
	for i, h := range trend {
		h := h.(map[string]any)
		if s, _ := h["hour"].(string); !hhmm.MatchString(s) {
			t.Errorf("hourlyTrend[%d].hour = %v, want HH:mm", i, h["hour"])
		}
		for _, f := range []string{"requests", "success", "failure"} {
			if _, ok := h[f].(float64); !ok {
				t.Errorf("hourlyTrend[%d].%s = %v, want a number", i, f, h[f])
			}
		}
		sum += h["requests"].(float64)
	}
	if last := trend[23].(map[string]any)["hour"]; last != time.Now().UTC().Truncate(time.Hour).Format("15:04") || sum != 2 {
		t.Errorf("hourlyTrend ends at %v with %v requests, want the current UTC hour and 2", last, sum)
	}
	if strings.Contains(string(body), key) || strings.Contains(string(body), "sk-sta") {
		t.Errorf("public-stats shows a key: %s", body)
	}
	if status, _, _ := e.do("GET", "/admin/public-stats?provider=bogus", "", nil); status != 400 {
		t.Errorf("public-stats of an unknown provider: %d", status)
	}
}

// TestCompatAdminCache: the cache routes in the original's fields, its
// {pattern?, scope?} body taken.
func TestCompatAdminCache(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"CACHE_TTL": "1m"})
	status, body, _ := e.do("GET", "/admin/cache/stats", adminToken, nil)
	if status != 200 {
		t.Fatalf("cache stats: %d %s", status, body)
	}
	compatFields(t, "cache stats", body, map[string]string{"totalEntries": "number", "byType": "object", "entries": "number"})
	for _, body := range []any{map[string]any{"scope": "all"}, map[string]any{"pattern": "stats:"}, map[string]any{}} {
		status, data, _ := e.do("POST", "/admin/cache/clear", adminToken, body)
		if status != 200 {
			t.Fatalf("cache clear %v: %d %s", body, status, data)
		}
		compatFields(t, "cache clear", data, map[string]string{"success": "=true", "message": "string", "cleared": "number"})
	}
}
