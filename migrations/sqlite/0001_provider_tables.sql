-- The six tables of one provider, in SQLite's types (see the PostgreSQL
-- file of the same number for the reasoning). Written for the Ollama
-- tables; Keypool rewrites the ollama_api_ prefix for other providers.
-- Times are stored as TEXT by the driver, always in UTC.

-- +goose Up
CREATE TABLE IF NOT EXISTS ollama_api_keys (
    api_key              TEXT PRIMARY KEY,
    username             TEXT,
    status               TEXT NOT NULL DEFAULT 'active',
    created_at           DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at           DATETIME,
    failed_until         DATETIME,
    disabled_until       DATETIME,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ollama_api_key_stats (
    api_key              TEXT PRIMARY KEY REFERENCES ollama_api_keys (api_key) ON DELETE CASCADE,
    total_requests       INTEGER NOT NULL DEFAULT 0,
    success_count        INTEGER NOT NULL DEFAULT 0,
    failure_count        INTEGER NOT NULL DEFAULT 0,
    success_rate         REAL NOT NULL DEFAULT 0,
    last_used            DATETIME,
    last_success         DATETIME,
    last_failure         DATETIME,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ollama_api_client_tokens (
    token         TEXT PRIMARY KEY,
    name          TEXT,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at    DATETIME,
    request_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ollama_api_global_stats (
    id             TEXT PRIMARY KEY DEFAULT 'global',
    total_requests INTEGER NOT NULL DEFAULT 0,
    success_count  INTEGER NOT NULL DEFAULT 0,
    failure_count  INTEGER NOT NULL DEFAULT 0,
    updated_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS ollama_api_model_stats (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    provider       TEXT NOT NULL,
    model          TEXT NOT NULL,
    total_requests INTEGER NOT NULL DEFAULT 0,
    success_count  INTEGER NOT NULL DEFAULT 0,
    failure_count  INTEGER NOT NULL DEFAULT 0,
    last_used      DATETIME,
    UNIQUE (provider, model)
);

CREATE TABLE IF NOT EXISTS ollama_api_model_hourly (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    provider   TEXT NOT NULL,
    model      TEXT NOT NULL,
    hour       DATETIME NOT NULL,
    requests   INTEGER NOT NULL DEFAULT 0,
    success    INTEGER NOT NULL DEFAULT 0,
    failure    INTEGER NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (provider, model, hour)
);

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
