-- The six tables of one provider, as the original ollama-api-pool's
-- schema.sql made them. Written for the Ollama tables (ollama_api_*): this
-- file runs as it is in a SQL editor; Keypool rewrites the ollama_api_
-- prefix to apply it for another provider (openrouter_api_*).
-- Every statement is IF NOT EXISTS so that a database the original project
-- already created (an existing Supabase project) is adopted as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS ollama_api_keys (
    api_key              TEXT PRIMARY KEY,
    username             TEXT,
    status               TEXT NOT NULL DEFAULT 'active',
    created_at           TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at           TIMESTAMPTZ,
    failed_until         TIMESTAMPTZ,
    disabled_until       TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ollama_api_key_stats (
    api_key              TEXT PRIMARY KEY REFERENCES ollama_api_keys (api_key) ON DELETE CASCADE,
    total_requests       BIGINT NOT NULL DEFAULT 0,
    success_count        BIGINT NOT NULL DEFAULT 0,
    failure_count        BIGINT NOT NULL DEFAULT 0,
    success_rate         NUMERIC NOT NULL DEFAULT 0,
    last_used            TIMESTAMPTZ,
    last_success         TIMESTAMPTZ,
    last_failure         TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ollama_api_client_tokens (
    token         TEXT PRIMARY KEY,
    name          TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at    TIMESTAMPTZ,
    request_count BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ollama_api_global_stats (
    id             TEXT PRIMARY KEY DEFAULT 'global',
    total_requests BIGINT NOT NULL DEFAULT 0,
    success_count  BIGINT NOT NULL DEFAULT 0,
    failure_count  BIGINT NOT NULL DEFAULT 0,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS ollama_api_model_stats (
    id             SERIAL PRIMARY KEY,
    provider       TEXT NOT NULL,
    model          TEXT NOT NULL,
    total_requests BIGINT NOT NULL DEFAULT 0,
    success_count  BIGINT NOT NULL DEFAULT 0,
    failure_count  BIGINT NOT NULL DEFAULT 0,
    last_used      TIMESTAMPTZ
);

-- created_at is not in the original's table guide, but its cleanup query
-- (DELETE … WHERE created_at < NOW() - INTERVAL '30 days') expects it.
CREATE TABLE IF NOT EXISTS ollama_api_model_hourly (
    id         SERIAL PRIMARY KEY,
    provider   TEXT NOT NULL,
    model      TEXT NOT NULL,
    hour       TIMESTAMPTZ NOT NULL,
    requests   BIGINT NOT NULL DEFAULT 0,
    success    BIGINT NOT NULL DEFAULT 0,
    failure    BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
ALTER TABLE ollama_api_model_hourly ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT NOW();

-- The unique keys the additive upserts rely on, as named indexes so that a
-- fresh database and one the original schema made end up alike (the
-- original declared them inline; an index that duplicates such a
-- constraint costs only some disk and write time).
CREATE UNIQUE INDEX IF NOT EXISTS ollama_api_model_stats_provider_model_uq
    ON ollama_api_model_stats (provider, model);
CREATE UNIQUE INDEX IF NOT EXISTS ollama_api_model_hourly_provider_model_hour_uq
    ON ollama_api_model_hourly (provider, model, hour);
CREATE INDEX IF NOT EXISTS ollama_api_keys_status_idx ON ollama_api_keys (status);
CREATE INDEX IF NOT EXISTS ollama_api_model_hourly_hour_idx ON ollama_api_model_hourly (hour);

INSERT INTO ollama_api_global_stats (id) VALUES ('global') ON CONFLICT (id) DO NOTHING;

-- +goose Down
DROP TABLE IF EXISTS ollama_api_model_hourly;
DROP TABLE IF EXISTS ollama_api_model_stats;
DROP TABLE IF EXISTS ollama_api_global_stats;
DROP TABLE IF EXISTS ollama_api_client_tokens;
DROP TABLE IF EXISTS ollama_api_key_stats;
DROP TABLE IF EXISTS ollama_api_keys;
