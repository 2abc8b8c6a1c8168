-- Optional per-minute limits: requests and tokens per client token, and
-- requests per upstream key (a provider's free tier allows N a minute).
-- NULL means no limit.

-- +goose Up
ALTER TABLE ollama_api_client_tokens ADD COLUMN IF NOT EXISTS rpm_limit INTEGER;
ALTER TABLE ollama_api_client_tokens ADD COLUMN IF NOT EXISTS tpm_limit INTEGER;
ALTER TABLE ollama_api_keys ADD COLUMN IF NOT EXISTS rpm_limit INTEGER;

-- +goose Down
ALTER TABLE ollama_api_keys DROP COLUMN IF EXISTS rpm_limit;
ALTER TABLE ollama_api_client_tokens DROP COLUMN IF EXISTS tpm_limit;
ALTER TABLE ollama_api_client_tokens DROP COLUMN IF EXISTS rpm_limit;
