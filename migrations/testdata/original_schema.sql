-- A RECONSTRUCTION, for tests, of the database the original project
-- (ollama-api-pool) made with its database/schema.sql: 16 tables, the six
-- of each provider and the four global tables of its user system. It is
-- not that file, which this repository does not have.
--
-- The provider tables follow its table guide (seed/DATABASE.md) with the
-- defaults, inline UNIQUE keys, extra created_at columns and index names
-- seed/API.md lists. The user tables are rebuilt from the columns the
-- original's data-access code reads and writes (users: id, email,
-- password_hash, is_active, role, default_provider, key_token (the client
-- token issued to the user, in plaintext, as in {prefix}_client_tokens),
-- key_provider, key_expires_at, created_at, updated_at, last_login_at,
-- last_sign_in_at; verification codes: email, code, purpose, status,
-- expires_at, used_at, request_id, meta; sign-ins: user_id, sign_day),
-- and, for the access tokens, what a login session table needs. Keypool's
-- migrations must leave those four exactly as they are.

CREATE TABLE IF NOT EXISTS ollama_api_keys (
  api_key TEXT PRIMARY KEY, username TEXT, status TEXT DEFAULT 'active',
  created_at TIMESTAMPTZ DEFAULT NOW(), expires_at TIMESTAMPTZ, failed_until TIMESTAMPTZ,
  disabled_until TIMESTAMPTZ, consecutive_failures INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS ollama_api_key_stats (
  api_key TEXT PRIMARY KEY REFERENCES ollama_api_keys(api_key) ON DELETE CASCADE,
  total_requests BIGINT DEFAULT 0, success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0,
  success_rate NUMERIC DEFAULT 0, last_used TIMESTAMPTZ, last_success TIMESTAMPTZ,
  last_failure TIMESTAMPTZ, consecutive_failures INTEGER DEFAULT 0, created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE IF NOT EXISTS ollama_api_client_tokens (
  token TEXT PRIMARY KEY, name TEXT, created_at TIMESTAMPTZ DEFAULT NOW(),
  expires_at TIMESTAMPTZ, request_count BIGINT DEFAULT 0);
CREATE TABLE IF NOT EXISTS ollama_api_global_stats (
  id TEXT PRIMARY KEY DEFAULT 'global', total_requests BIGINT DEFAULT 0,
  success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0, updated_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE IF NOT EXISTS ollama_api_model_stats (
  id SERIAL PRIMARY KEY, provider TEXT DEFAULT 'ollama', model TEXT NOT NULL,
  total_requests BIGINT DEFAULT 0, success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0,
  last_used TIMESTAMPTZ, created_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE (provider, model));
CREATE TABLE IF NOT EXISTS ollama_api_model_hourly (
  id SERIAL PRIMARY KEY, provider TEXT DEFAULT 'ollama', model TEXT NOT NULL, hour TIMESTAMPTZ NOT NULL,
  requests BIGINT DEFAULT 0, success BIGINT DEFAULT 0, failure BIGINT DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE (provider, model, hour));

CREATE TABLE IF NOT EXISTS openrouter_api_keys (
  api_key TEXT PRIMARY KEY, username TEXT, status TEXT DEFAULT 'active',
  created_at TIMESTAMPTZ DEFAULT NOW(), expires_at TIMESTAMPTZ, failed_until TIMESTAMPTZ,
  disabled_until TIMESTAMPTZ, consecutive_failures INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS openrouter_api_key_stats (
  api_key TEXT PRIMARY KEY REFERENCES openrouter_api_keys(api_key) ON DELETE CASCADE,
  total_requests BIGINT DEFAULT 0, success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0,
  success_rate NUMERIC DEFAULT 0, last_used TIMESTAMPTZ, last_success TIMESTAMPTZ,
  last_failure TIMESTAMPTZ, consecutive_failures INTEGER DEFAULT 0, created_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE IF NOT EXISTS openrouter_api_client_tokens (
  token TEXT PRIMARY KEY, name TEXT, created_at TIMESTAMPTZ DEFAULT NOW(),
  expires_at TIMESTAMPTZ, request_count BIGINT DEFAULT 0);
CREATE TABLE IF NOT EXISTS openrouter_api_global_stats (
  id TEXT PRIMARY KEY DEFAULT 'global', total_requests BIGINT DEFAULT 0,
  success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0, updated_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE IF NOT EXISTS openrouter_api_model_stats (
  id SERIAL PRIMARY KEY, provider TEXT DEFAULT 'openrouter', model TEXT NOT NULL,
  total_requests BIGINT DEFAULT 0, success_count BIGINT DEFAULT 0, failure_count BIGINT DEFAULT 0,
  last_used TIMESTAMPTZ, created_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE (provider, model));
CREATE TABLE IF NOT EXISTS openrouter_api_model_hourly (
  id SERIAL PRIMARY KEY, provider TEXT DEFAULT 'openrouter', model TEXT NOT NULL, hour TIMESTAMPTZ NOT NULL,
  requests BIGINT DEFAULT 0, success BIGINT DEFAULT 0, failure BIGINT DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW(), UNIQUE (provider, model, hour));

CREATE INDEX IF NOT EXISTS idx_ollama_keys_status ON ollama_api_keys(status);
CREATE INDEX IF NOT EXISTS idx_ollama_keys_created ON ollama_api_keys(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_ollama_key_stats_last_used ON ollama_api_key_stats(last_used DESC);
CREATE INDEX IF NOT EXISTS idx_ollama_model_stats_provider_model ON ollama_api_model_stats(provider, model);
CREATE INDEX IF NOT EXISTS idx_ollama_model_hourly_time ON ollama_api_model_hourly(hour DESC);
CREATE INDEX IF NOT EXISTS idx_ollama_model_hourly_provider ON ollama_api_model_hourly(provider, model, hour);
CREATE INDEX IF NOT EXISTS idx_openrouter_keys_status ON openrouter_api_keys(status);
CREATE INDEX IF NOT EXISTS idx_openrouter_keys_created ON openrouter_api_keys(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_openrouter_key_stats_last_used ON openrouter_api_key_stats(last_used DESC);
CREATE INDEX IF NOT EXISTS idx_openrouter_model_stats_provider_model ON openrouter_api_model_stats(provider, model);
CREATE INDEX IF NOT EXISTS idx_openrouter_model_hourly_time ON openrouter_api_model_hourly(hour DESC);
CREATE INDEX IF NOT EXISTS idx_openrouter_model_hourly_provider ON openrouter_api_model_hourly(provider, model, hour);

INSERT INTO ollama_api_global_stats (id, total_requests, success_count, failure_count)
VALUES ('global', 0, 0, 0) ON CONFLICT (id) DO NOTHING;
INSERT INTO openrouter_api_global_stats (id, total_requests, success_count, failure_count)
VALUES ('global', 0, 0, 0) ON CONFLICT (id) DO NOTHING;

-- The user system (global: one set for both providers). Reconstructed.
CREATE TABLE IF NOT EXISTS ollama_api_users (
  id BIGSERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  is_active BOOLEAN NOT NULL DEFAULT true,
  role TEXT NOT NULL DEFAULT 'user',
  default_provider TEXT DEFAULT 'ollama',
  key_token TEXT UNIQUE,
  key_provider TEXT DEFAULT 'ollama',
  key_expires_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  last_login_at TIMESTAMPTZ,
  last_sign_in_at TIMESTAMPTZ);
CREATE INDEX IF NOT EXISTS idx_users_created ON ollama_api_users(created_at DESC);

CREATE TABLE IF NOT EXISTS ollama_api_email_verification_codes (
  id BIGSERIAL PRIMARY KEY,
  email TEXT NOT NULL,
  code TEXT NOT NULL,
  purpose TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  expires_at TIMESTAMPTZ NOT NULL,
  used_at TIMESTAMPTZ,
  request_id TEXT,
  meta JSONB DEFAULT '{}'::jsonb,
  created_at TIMESTAMPTZ DEFAULT NOW());
CREATE INDEX IF NOT EXISTS idx_email_codes_lookup
  ON ollama_api_email_verification_codes(email, purpose, status, created_at DESC);

CREATE TABLE IF NOT EXISTS ollama_api_user_access_tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES ollama_api_users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ);
CREATE INDEX IF NOT EXISTS idx_user_access_tokens_user ON ollama_api_user_access_tokens(user_id);

CREATE TABLE IF NOT EXISTS ollama_api_user_signins (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES ollama_api_users(id) ON DELETE CASCADE,
  sign_day DATE NOT NULL DEFAULT CURRENT_DATE,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  UNIQUE (user_id, sign_day));
