-- The key search's trigram indexes are PostgreSQL's (0006_key_search.sql
-- there). SQLite has none to offer: its search reads every key.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
