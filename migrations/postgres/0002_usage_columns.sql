-- Token usage and latency for the statistics (Keypool counts every request
-- exactly, with usage); the original columns keep their names.

-- +goose Up
ALTER TABLE ollama_api_key_stats ADD COLUMN IF NOT EXISTS prompt_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_key_stats ADD COLUMN IF NOT EXISTS completion_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_key_stats ADD COLUMN IF NOT EXISTS latency_ms_sum BIGINT NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_model_stats ADD COLUMN IF NOT EXISTS prompt_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_stats ADD COLUMN IF NOT EXISTS completion_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_stats ADD COLUMN IF NOT EXISTS latency_ms_sum BIGINT NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_model_hourly ADD COLUMN IF NOT EXISTS prompt_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_hourly ADD COLUMN IF NOT EXISTS completion_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_hourly ADD COLUMN IF NOT EXISTS latency_ms_sum BIGINT NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_global_stats ADD COLUMN IF NOT EXISTS prompt_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_global_stats ADD COLUMN IF NOT EXISTS completion_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_global_stats ADD COLUMN IF NOT EXISTS latency_ms_sum BIGINT NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_client_tokens ADD COLUMN IF NOT EXISTS last_used_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE ollama_api_client_tokens DROP COLUMN IF EXISTS last_used_at;
ALTER TABLE ollama_api_global_stats DROP COLUMN IF EXISTS latency_ms_sum;
ALTER TABLE ollama_api_global_stats DROP COLUMN IF EXISTS completion_tokens;
ALTER TABLE ollama_api_global_stats DROP COLUMN IF EXISTS prompt_tokens;
ALTER TABLE ollama_api_model_hourly DROP COLUMN IF EXISTS latency_ms_sum;
ALTER TABLE ollama_api_model_hourly DROP COLUMN IF EXISTS completion_tokens;
ALTER TABLE ollama_api_model_hourly DROP COLUMN IF EXISTS prompt_tokens;
ALTER TABLE ollama_api_model_stats DROP COLUMN IF EXISTS latency_ms_sum;
ALTER TABLE ollama_api_model_stats DROP COLUMN IF EXISTS completion_tokens;
ALTER TABLE ollama_api_model_stats DROP COLUMN IF EXISTS prompt_tokens;
ALTER TABLE ollama_api_key_stats DROP COLUMN IF EXISTS latency_ms_sum;
ALTER TABLE ollama_api_key_stats DROP COLUMN IF EXISTS completion_tokens;
ALTER TABLE ollama_api_key_stats DROP COLUMN IF EXISTS prompt_tokens;
