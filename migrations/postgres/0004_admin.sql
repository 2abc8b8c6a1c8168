-- What the admin API needs: a settings table (the runtime provider switch),
-- a non-secret token_prefix to tell client tokens apart in listings, the
-- one-time conversion of the original project's plaintext client tokens to
-- digests, and indexes that keep a page of 100,000 keys fast.

-- +goose Up
CREATE TABLE IF NOT EXISTS ollama_api_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

ALTER TABLE ollama_api_client_tokens ADD COLUMN IF NOT EXISTS token_prefix TEXT;

-- The original project stored client tokens in plaintext. Keep each as
-- 'sha256:<hex>' of its UTF-8 bytes (what Keypool checks), with a prefix of
-- at most a quarter of the token, so that the prefix never gives a short
-- token away. A plaintext row whose digest is already stored stays as it
-- is (Keypool still accepts it). sha256() needs PostgreSQL 11 or later.
UPDATE ollama_api_client_tokens AS t
   SET token_prefix = LEFT(t.token, LEAST(10, LENGTH(t.token) / 4)),
       token = 'sha256:' || ENCODE(SHA256(CONVERT_TO(t.token, 'UTF8')), 'hex')
 WHERE t.token NOT LIKE 'sha256:%'
   AND t.token <> ''
   AND NOT EXISTS (SELECT 1 FROM ollama_api_client_tokens AS d
                    WHERE d.token = 'sha256:' || ENCODE(SHA256(CONVERT_TO(t.token, 'UTF8')), 'hex'));

-- Listing keys: newest first, with or without a status filter; api_key
-- breaks ties (a bulk import gives every key the same created_at).
CREATE INDEX IF NOT EXISTS ollama_api_keys_status_created_idx ON ollama_api_keys (status, created_at, api_key);
CREATE INDEX IF NOT EXISTS ollama_api_keys_created_idx ON ollama_api_keys (created_at, api_key);

-- +goose Down
-- Converted tokens stay digests: their plaintext is gone by design.
DROP INDEX IF EXISTS ollama_api_keys_created_idx;
DROP INDEX IF EXISTS ollama_api_keys_status_created_idx;
ALTER TABLE ollama_api_client_tokens DROP COLUMN IF EXISTS token_prefix;
DROP TABLE IF EXISTS ollama_api_settings;
