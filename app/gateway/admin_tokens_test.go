package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/migrations"
)

type tokenJSON struct {
	ID           string
	Name         string
	Prefix       string
	Token        string     // the plaintext in the create answer; in lists, the original's field, carrying the id
	RequestCount int64      `json:"request_count"`
	LastUsedAt   *time.Time `json:"last_used_at"`
}

// newToken creates a client token named name and decodes the answer.
func (e *testEnv) newToken(name string) tokenJSON {
	e.t.Helper()
	var tok tokenJSON
	if err := json.Unmarshal(e.call("POST", "/admin/tokens", map[string]string{"name": name}, 201, ""), &tok); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// tokens lists the client tokens and checks that no secret is in the answer.
func (e *testEnv) tokens(secrets ...string) []tokenJSON {
	e.t.Helper()
	var out struct{ Tokens []tokenJSON }
	body := e.getJSON("/admin/tokens", adminToken, &out)
	for _, s := range append(secrets, "sha256:") {
		if strings.Contains(body, s) {
			e.t.Fatalf("token list shows %q: %s", s, body)
		}
	}
	return out.Tokens
}

func TestAdminTokens(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect string) {
		e := newTestEnv(t, dialect, map[string]string{"DISABLE_OPENROUTER": "true"})
		e.importKeys("ollama", "sk-key-0123456789abcdef")
		laptop, ci1, ci2 := e.newToken("laptop"), e.newToken("ci"), e.newToken("ci")
		sum := sha256.Sum256([]byte(laptop.Token))
		if laptop.Prefix != laptop.Token[:10] || !strings.HasPrefix(laptop.Prefix, "sk-kp-") || laptop.ID != hex.EncodeToString(sum[:8]) {
			t.Fatalf("created token: %+v", laptop)
		}
		list := e.tokens(laptop.Token, ci1.Token, ci2.Token, digestOf(laptop.Token))
		if len(list) != 3 || list[0].ID != laptop.ID || list[0].Prefix != laptop.Prefix || list[0].Name != "laptop" || list[0].Token != laptop.ID {
			t.Fatalf("tokens: %+v", list)
		}
		if status, body, _ := e.do("POST", chatPath("ollama"), laptop.Token, chatBody(false)); status != http.StatusOK {
			t.Fatalf("chat: %d %s", status, body)
		}
		eventually(t, 10*time.Second, "request_count and last_used_at", func() bool {
			l := e.tokens()
			return l[0].RequestCount == 1 && l[0].LastUsedAt != nil && l[1].RequestCount == 0
		})

		for _, tt := range []struct {
			method, path string
			body         any
			status       int
			err          string
		}{
			{"DELETE", "/admin/tokens", `{}`, 400, `{"name"`},
			{"DELETE", "/admin/tokens", `{"name":"ci","id":"x"}`, 400, `{"name"`},
			{"DELETE", "/admin/tokens", `{"name":`, 400, "malformed JSON at byte 8"},
			{"DELETE", "/admin/tokens", `{"name":"nobody"}`, 404, "no client token"},
			{"DELETE", "/admin/tokens/0123456789abcdef", nil, 404, "no client token"},
			{"DELETE", "/admin/tokens?provider=openrouter", `{"name":"ci"}`, 404, "disabled"},
			{"GET", "/admin/tokens?provider=bogus", nil, 400, "unknown provider"},
			{"POST", "/admin/tokens", `{"name":"x","expires_at":"soon"}`, 400, "malformed JSON"},
			{"POST", "/admin/tokens", `{"name":"x","provider":"bogus"}`, 400, "unknown provider"},
		} {
			e.call(tt.method, tt.path, tt.body, tt.status, tt.err)
		}

		// By id (the client is refused at once), then both "ci" by name.
		if data := e.call("DELETE", "/admin/tokens/"+laptop.ID, nil, 200, ""); string(data) != `{"success":true,"deleted":1}` {
			t.Fatalf("delete by id: %s", data)
		}
		if status, _, _ := e.do("POST", chatPath("ollama"), laptop.Token, chatBody(false)); status != http.StatusUnauthorized {
			t.Fatalf("deleted token: %d, want 401", status)
		}
		if data := e.call("DELETE", "/admin/tokens", map[string]string{"name": "ci"}, 200, ""); string(data) != `{"success":true,"deleted":2}` {
			t.Fatalf("delete by name: %s", data)
		}
		if l := e.tokens(); len(l) != 0 {
			t.Fatalf("tokens left: %+v", l)
		}
	})
}

// TestPlaintextClientTokens: rows the original project stored in plaintext
// keep working. On PostgreSQL migration 0004 turns a row present before it
// into a digest; on either dialect a plaintext row written later (by an
// instance of the original still running) is accepted as it is.
func TestPlaintextClientTokens(t *testing.T) {
	t.Parallel()
	// Non-ASCII and a backslash: the digest is of the UTF-8 bytes, as Go's.
	const before, after = `legacy-tök\en-0123456789`, "plain-after-0123456789"
	forEachDialect(t, func(t *testing.T, dialect string) {
		env := map[string]string{"DISABLE_OPENROUTER": "true"}
		if dialect == migrations.Postgres {
			env["DATABASE_URL"], _ = storetest.URL(t, dialect)
			execSQL(t, env["DATABASE_URL"], `CREATE TABLE ollama_api_client_tokens (token TEXT PRIMARY KEY, name TEXT,
				created_at TIMESTAMPTZ DEFAULT NOW(), expires_at TIMESTAMPTZ, request_count BIGINT DEFAULT 0)`,
				fmt.Sprintf(`INSERT INTO ollama_api_client_tokens (token, name, request_count) VALUES ('%s', 'old', 7)`, before))
		}
		e := newTestEnv(t, dialect, env)
		e.importKeys("ollama", "sk-key-0123456789abcdef")
		e.stop()
		execSQL(t, e.databaseURL(), fmt.Sprintf(`INSERT INTO ollama_api_client_tokens (token, name, created_at, request_count)
			VALUES ('%s', 'later', '2030-01-01 00:00:00+00:00', 0)`, after))
		e.start()
		var want []string
		if dialect == migrations.Postgres {
			want = append(want, before)
		}
		want = append(want, after)
		for _, plain := range want {
			if status, body, _ := e.do("POST", chatPath("ollama"), plain, chatBody(false)); status != http.StatusOK {
				t.Fatalf("plaintext %q: %d %s", plain, status, body)
			}
		}
		list := e.tokens(before, after)
		var got []string
		for _, tok := range list {
			got = append(got, tok.ID+"/"+tok.Prefix)
		}
		wantIDs := []string{}
		for _, plain := range want {
			sum := sha256.Sum256([]byte(plain))
			prefix := map[string]string{before: "legacy", after: ""}[plain] // a quarter of its 24 characters
			wantIDs = append(wantIDs, hex.EncodeToString(sum[:8])+"/"+prefix)
		}
		if !slices.Equal(got, wantIDs) {
			t.Fatalf("tokens = %v, want %v", got, wantIDs)
		}
	})
}

// databaseURL is the env's database as a DATABASE_URL, the SQLite file
// spelled out.
func (e *testEnv) databaseURL() string {
	if e.cfg.DatabaseURL != "" {
		return e.cfg.DatabaseURL
	}
	return "sqlite:" + filepath.Join(e.cfg.DataDir, "keypool.db")
}

// execSQL runs statements on the database at databaseURL.
func execSQL(t testing.TB, databaseURL string, statements ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, databaseURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range statements {
		if _, err := db.SQL.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
