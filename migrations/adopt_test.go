package migrations_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/migrations"
	"github.com/keypool/keypool/models"
)

// originalSchema is what the original project's schema.sql left in an
// existing Supabase database: the Ollama tables with the columns of its
// table guide, no goose version table, no created_at on model_hourly and
// no unique index named by Keypool. Rows stand for a live installation.
const originalSchema = `
CREATE TABLE ollama_api_keys (
    api_key TEXT PRIMARY KEY, username TEXT, status TEXT DEFAULT 'active',
    created_at TIMESTAMPTZ DEFAULT NOW(), expires_at TIMESTAMPTZ,
    failed_until TIMESTAMPTZ, disabled_until TIMESTAMPTZ, consecutive_failures INTEGER DEFAULT 0);
CREATE TABLE ollama_api_key_stats (
    api_key TEXT PRIMARY KEY REFERENCES ollama_api_keys (api_key) ON DELETE CASCADE,
    total_requests BIGINT DEFAULT 0, success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0,
    success_rate NUMERIC DEFAULT 0, last_used TIMESTAMPTZ, last_success TIMESTAMPTZ,
    last_failure TIMESTAMPTZ, consecutive_failures INTEGER DEFAULT 0);
CREATE TABLE ollama_api_client_tokens (
    token TEXT PRIMARY KEY, name TEXT, created_at TIMESTAMPTZ DEFAULT NOW(),
    expires_at TIMESTAMPTZ, request_count BIGINT DEFAULT 0);
CREATE TABLE ollama_api_global_stats (
    id TEXT PRIMARY KEY DEFAULT 'global', total_requests BIGINT DEFAULT 0,
    success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0, updated_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE ollama_api_model_stats (
    id SERIAL PRIMARY KEY, provider TEXT, model TEXT, total_requests BIGINT DEFAULT 0,
    success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0, last_used TIMESTAMPTZ);
CREATE TABLE ollama_api_model_hourly (
    id SERIAL PRIMARY KEY, provider TEXT, model TEXT, hour TIMESTAMPTZ,
    requests BIGINT DEFAULT 0, success BIGINT DEFAULT 0, failure BIGINT DEFAULT 0);

INSERT INTO ollama_api_keys (api_key, username, status, created_at, failed_until, consecutive_failures) VALUES
    ('sk-old-1', 'alice', 'active', '2025-01-01 10:00:00+00', NULL, 0),
    ('sk-old-2', NULL, 'failed', '2025-01-02 10:00:00+00', '2099-01-01 00:00:00+00', 3);
INSERT INTO ollama_api_key_stats (api_key, total_requests, success_count, failure_count, success_rate)
    VALUES ('sk-old-1', 100, 90, 10, 90.0);
INSERT INTO ollama_api_client_tokens (token, name, created_at, request_count)
    VALUES ('plain-token', 'old client', '2025-01-03 10:00:00+00', 77);
INSERT INTO ollama_api_global_stats (id, total_requests, success_count, failure_count)
    VALUES ('global', 1000, 900, 100);
INSERT INTO ollama_api_model_stats (provider, model, total_requests, success_count, failure_count)
    VALUES ('ollama', 'gpt-oss:120b', 500, 450, 50);
INSERT INTO ollama_api_model_hourly (provider, model, hour, requests, success, failure)
    VALUES ('ollama', 'gpt-oss:120b', '2025-01-03 10:00:00+00', 5, 4, 1);
`

// digest is the stored form of a plaintext client token (app/tokens.Digest).
func digest(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestUpAdoptsOriginalDatabase starts Keypool's migrations on a database
// the original project created and checks that its data is kept and
// readable through the store.
func TestUpAdoptsOriginalDatabase(t *testing.T) {
	t.Parallel()
	if !slices.Contains(storetest.Dialects(t), migrations.Postgres) {
		t.Skip("the original project ran on PostgreSQL only; needs TEST_DATABASE_URL")
	}
	ctx := testContext(t)
	db := openEmpty(t, migrations.Postgres)
	if _, err := db.SQL.ExecContext(ctx, originalSchema); err != nil {
		t.Fatalf("original schema: %v", err)
	}
	applied, err := migrations.Up(ctx, db.SQL, db.Dialect, prefixes)
	if err != nil {
		t.Fatalf("Up on the original database: %v", err)
	}
	if len(applied) == 0 {
		t.Error("Up applied nothing: the version table should be new")
	}

	s := store.New(db, "ollama_api")
	keys, err := s.ListKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("ListKeys = %+v, %v; want the 2 original keys", keys, err)
	}
	failed := keys[1]
	if keys[0].APIKey != "sk-old-1" || keys[0].Username != "alice" || failed.APIKey != "sk-old-2" ||
		failed.Status != "failed" || failed.ConsecutiveFailures != 3 || failed.FailedUntil == nil ||
		!failed.FailedUntil.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("original keys read as %+v", keys)
	}
	// 0004 converted the plaintext token to its digest, with a prefix of at
	// most a quarter of it (2 of 11 characters).
	tokens, err := s.TokenInfos(ctx)
	if err != nil || len(tokens) != 1 || tokens[0].Token != digest("plain-token") || tokens[0].RequestCount != 77 ||
		tokens[0].Prefix != "pl" || tokens[0].Name != "old client" {
		t.Errorf("TokenInfos = %+v, %v; want the original token as a digest", tokens, err)
	}
	if _, err := s.InsertKeys(ctx, []models.Key{{APIKey: "sk-new"}}); err != nil {
		t.Errorf("InsertKeys after adoption: %v", err)
	}

	// Counters are kept, and the columns and unique keys the stats upserts
	// need were added to the old tables.
	checks := []struct {
		query string
		want  int64
	}{
		{"SELECT total_requests FROM ollama_api_global_stats WHERE id = 'global'", 1000},
		{"SELECT count(*) FROM ollama_api_global_stats", 1},
		{"SELECT total_requests FROM ollama_api_key_stats WHERE api_key = 'sk-old-1'", 100},
		{"SELECT total_requests FROM ollama_api_model_stats WHERE model = 'gpt-oss:120b'", 500},
		{"SELECT count(*) FROM ollama_api_model_hourly WHERE created_at IS NOT NULL", 1},
		{`SELECT count(*) FROM pg_indexes WHERE indexname IN
		  ('idx_ollama_model_stats_provider_model', 'idx_ollama_model_hourly_provider')`, 2},
		{"SELECT count(*) FROM openrouter_api_keys", 0},
	}
	for _, c := range checks {
		var got int64
		if err := db.SQL.QueryRowContext(ctx, c.query).Scan(&got); err != nil || got != c.want {
			t.Errorf("%s = %d, %v; want %d", c.query, got, err, c.want)
		}
	}
	for _, q := range []string{
		`INSERT INTO ollama_api_model_hourly (provider, model, hour, requests) VALUES ('ollama', 'gpt-oss:120b', '2025-01-03 10:00:00+00', 1)
		 ON CONFLICT (provider, model, hour) DO UPDATE SET requests = ollama_api_model_hourly.requests + excluded.requests`,
		`INSERT INTO ollama_api_model_stats (provider, model, total_requests) VALUES ('ollama', 'gpt-oss:120b', 1)
		 ON CONFLICT (provider, model) DO UPDATE SET total_requests = ollama_api_model_stats.total_requests + excluded.total_requests`,
	} {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			t.Errorf("additive upsert on an adopted table: %v", err)
		}
	}
	if again, err := migrations.Up(ctx, db.SQL, db.Dialect, prefixes); err != nil || len(again) != 0 {
		t.Errorf("second Up = %v, %v; want nothing applied", again, err)
	}
}
