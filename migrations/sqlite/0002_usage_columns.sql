-- SQLite version (no IF NOT EXISTS on ADD COLUMN; goose applies it once).
-- Token usage and latency for the statistics (Keypool counts every request
-- exactly, with usage); the original columns keep their names.

-- +goose Up
ALTER TABLE ollama_api_key_stats ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_key_stats ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_key_stats ADD COLUMN latency_ms_sum INTEGER NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_model_stats ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_stats ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_stats ADD COLUMN latency_ms_sum INTEGER NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_model_hourly ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_hourly ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_model_hourly ADD COLUMN latency_ms_sum INTEGER NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_global_stats ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_global_stats ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ollama_api_global_stats ADD COLUMN latency_ms_sum INTEGER NOT NULL DEFAULT 0;

ALTER TABLE ollama_api_client_tokens ADD COLUMN last_used_at DATETIME;

-- +goose Down
ALTER TABLE ollama_api_client_tokens DROP COLUMN last_used_at;
ALTER TABLE ollama_api_global_stats DROP COLUMN latency_ms_sum;
ALTER TABLE ollama_api_global_stats DROP COLUMN completion_tokens;
ALTER TABLE ollama_api_global_stats DROP COLUMN prompt_tokens;
ALTER TABLE ollama_api_model_hourly DROP COLUMN latency_ms_sum;
ALTER TABLE ollama_api_model_hourly DROP COLUMN completion_tokens;
ALTER TABLE ollama_api_model_hourly DROP COLUMN prompt_tokens;
ALTER TABLE ollama_api_model_stats DROP COLUMN latency_ms_sum;
ALTER TABLE ollama_api_model_stats DROP COLUMN completion_tokens;
ALTER TABLE ollama_api_model_stats DROP COLUMN prompt_tokens;
ALTER TABLE ollama_api_key_stats DROP COLUMN latency_ms_sum;
ALTER TABLE ollama_api_key_stats DROP COLUMN completion_tokens;
ALTER TABLE ollama_api_key_stats DROP COLUMN prompt_tokens;
