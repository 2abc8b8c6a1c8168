-- The original ollama-api-pool's index names, and one index per set of
-- columns. Its schema.sql made idx_ollama_keys_status, _keys_created,
-- _key_stats_last_used, _model_stats_provider_model, _model_hourly_time and
-- _model_hourly_provider (idx_openrouter_* for the OpenRouter tables), plus
-- the inline UNIQUE constraints of the two model tables; 0001 and 0004 added
-- Keypool's own indexes on the same columns, so an adopted database held two
-- or three of each. Here each is kept once, under the original's name, with
-- Keypool's definition (which serves every query the original's did), so a
-- fresh database and an adopted one end up with the same indexes, but one
-- (below). The pattern is the same for each: drop the original's, rename
-- Keypool's to its name (only a catalog change), create it if neither
-- existed. It runs in one transaction, so the unique keys the statistics
-- upserts need never go missing. The original's user tables
-- (ollama_api_users and the three others) are not touched.

-- +goose Up
-- Keys by status, newest first; also serves a status lookup alone.
DROP INDEX IF EXISTS ollama_api_keys_status_idx;
DROP INDEX IF EXISTS idx_ollama_keys_status;
ALTER INDEX IF EXISTS ollama_api_keys_status_created_idx RENAME TO idx_ollama_keys_status;
CREATE INDEX IF NOT EXISTS idx_ollama_keys_status ON ollama_api_keys (status, created_at, api_key);

-- Keys newest first (a backward scan); api_key breaks ties.
DROP INDEX IF EXISTS idx_ollama_keys_created;
ALTER INDEX IF EXISTS ollama_api_keys_created_idx RENAME TO idx_ollama_keys_created;
CREATE INDEX IF NOT EXISTS idx_ollama_keys_created ON ollama_api_keys (created_at, api_key);

-- idx_ollama_key_stats_last_used stays where the original made it, and is
-- not made on a fresh database: every statistics flush moves last_used, and
-- an index on it would make each of those row updates a non-HOT one.

-- The unique key of the model counters (ON CONFLICT (provider, model)).
DROP INDEX IF EXISTS idx_ollama_model_stats_provider_model;
ALTER TABLE ollama_api_model_stats DROP CONSTRAINT IF EXISTS ollama_api_model_stats_provider_model_key;
ALTER INDEX IF EXISTS ollama_api_model_stats_provider_model_uq RENAME TO idx_ollama_model_stats_provider_model;
CREATE UNIQUE INDEX IF NOT EXISTS idx_ollama_model_stats_provider_model ON ollama_api_model_stats (provider, model);

-- The unique key of the hourly counters (ON CONFLICT (provider, model, hour)).
DROP INDEX IF EXISTS idx_ollama_model_hourly_provider;
ALTER TABLE ollama_api_model_hourly DROP CONSTRAINT IF EXISTS ollama_api_model_hourly_provider_model_hour_key;
ALTER INDEX IF EXISTS ollama_api_model_hourly_provider_model_hour_uq RENAME TO idx_ollama_model_hourly_provider;
CREATE UNIQUE INDEX IF NOT EXISTS idx_ollama_model_hourly_provider ON ollama_api_model_hourly (provider, model, hour);

-- Hours in a range, and retention's prune.
DROP INDEX IF EXISTS idx_ollama_model_hourly_time;
ALTER INDEX IF EXISTS ollama_api_model_hourly_hour_idx RENAME TO idx_ollama_model_hourly_time;
CREATE INDEX IF NOT EXISTS idx_ollama_model_hourly_time ON ollama_api_model_hourly (hour);

-- +goose Down
-- Back to Keypool's names; the original's own duplicates are not made again.
ALTER INDEX IF EXISTS idx_ollama_model_hourly_time RENAME TO ollama_api_model_hourly_hour_idx;
ALTER INDEX IF EXISTS idx_ollama_model_hourly_provider RENAME TO ollama_api_model_hourly_provider_model_hour_uq;
ALTER INDEX IF EXISTS idx_ollama_model_stats_provider_model RENAME TO ollama_api_model_stats_provider_model_uq;
ALTER INDEX IF EXISTS idx_ollama_keys_created RENAME TO ollama_api_keys_created_idx;
ALTER INDEX IF EXISTS idx_ollama_keys_status RENAME TO ollama_api_keys_status_created_idx;
CREATE INDEX IF NOT EXISTS ollama_api_keys_status_idx ON ollama_api_keys (status);
