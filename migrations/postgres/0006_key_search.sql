-- Trigram indexes for the admin's key search (a substring of the key, or
-- of the username in any case, matched with LIKE): with 100,000 keys a
-- search reads these instead of every row. pg_trgm ships with PostgreSQL
-- and is a trusted extension; where it cannot be created (a managed
-- database that forbids it), the search still works, scanning every key,
-- and this migration only leaves a notice.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): key search will scan every key', SQLERRM;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS ollama_api_keys_key_trgm_idx
            ON ollama_api_keys USING gin (api_key gin_trgm_ops);
        CREATE INDEX IF NOT EXISTS ollama_api_keys_username_trgm_idx
            ON ollama_api_keys USING gin (LOWER(COALESCE(username, '')) gin_trgm_ops);
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'no trigram indexes for key search (%): it will scan every key', SQLERRM;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX IF EXISTS ollama_api_keys_username_trgm_idx;
DROP INDEX IF EXISTS ollama_api_keys_key_trgm_idx;
