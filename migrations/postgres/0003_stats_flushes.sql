-- One row per statistics batch written, in the batch's own transaction, so
-- that a batch whose commit was cut off (the database went away while
-- acknowledging it) can be told apart from one that was never written, and
-- is not added twice. Rows older than a day are pruned.

-- +goose Up
CREATE TABLE IF NOT EXISTS ollama_api_stats_flushes (
    id         TEXT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- +goose Down
DROP TABLE IF EXISTS ollama_api_stats_flushes;
