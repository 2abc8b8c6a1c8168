-- SQLite version of 0004 (see the PostgreSQL file): settings table,
-- token_prefix and the key listing indexes. There are no plaintext client
-- tokens to convert: the original project never used SQLite (and Keypool
-- still accepts such rows).

-- +goose Up
CREATE TABLE IF NOT EXISTS ollama_api_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

ALTER TABLE ollama_api_client_tokens ADD COLUMN token_prefix TEXT;

CREATE INDEX IF NOT EXISTS ollama_api_keys_status_created_idx ON ollama_api_keys (status, created_at, api_key);
CREATE INDEX IF NOT EXISTS ollama_api_keys_created_idx ON ollama_api_keys (created_at, api_key);

-- +goose Down
DROP INDEX IF EXISTS ollama_api_keys_created_idx;
DROP INDEX IF EXISTS ollama_api_keys_status_created_idx;
ALTER TABLE ollama_api_client_tokens DROP COLUMN token_prefix;
DROP TABLE IF EXISTS ollama_api_settings;
