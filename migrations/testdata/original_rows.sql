-- Rows of a live installation of the original project, for the tables of
-- original_schema.sql: keys, counters, plaintext client tokens, and users,
-- two of them deactivated with a client token issued to them.

INSERT INTO ollama_api_keys (api_key, username, status, created_at, failed_until, consecutive_failures) VALUES
  ('sk-orig-1', 'alice', 'active', '2025-01-01 10:00:00+00', NULL, 0),
  ('sk-orig-2', NULL, 'failed', '2025-01-02 10:00:00+00', '2099-01-01 00:00:00+00', 3);
INSERT INTO ollama_api_key_stats (api_key, total_requests, success_count, failure_count, success_rate, last_used)
  VALUES ('sk-orig-1', 100, 90, 10, 90.0, '2025-01-03 10:00:00+00');
INSERT INTO openrouter_api_keys (api_key, username) VALUES ('sk-or-orig-1', 'bob');
UPDATE ollama_api_global_stats SET total_requests = 1000, success_count = 900, failure_count = 100;
INSERT INTO ollama_api_model_stats (model, total_requests, success_count, failure_count)
  VALUES ('gpt-oss:120b', 500, 450, 50);
INSERT INTO ollama_api_model_hourly (model, hour, requests, success, failure)
  VALUES ('gpt-oss:120b', '2025-01-03 10:00:00+00', 5, 4, 1);

INSERT INTO ollama_api_client_tokens (token, name, request_count) VALUES
  ('tok-orig-banned', 'deactivated user', 7),
  ('tok-orig-active', 'active user', 8),
  ('tok-orig-unlinked', 'no user', 9);
INSERT INTO openrouter_api_client_tokens (token, name) VALUES
  ('tok-orig-or-banned', 'deactivated user'),
  ('tok-orig-or-active', 'active user');

INSERT INTO ollama_api_users (email, password_hash, is_active, key_token, key_provider, last_login_at) VALUES
  ('banned@example.com', 'pbkdf2$1', false, 'tok-orig-banned', 'ollama', '2025-01-04 10:00:00+00'),
  ('active@example.com', 'pbkdf2$2', true, 'tok-orig-active', 'ollama', NULL),
  ('or-banned@example.com', 'pbkdf2$3', false, 'tok-orig-or-banned', 'openrouter', NULL),
  ('or-active@example.com', 'pbkdf2$4', true, 'tok-orig-or-active', 'openrouter', NULL),
  ('nokey@example.com', NULL, false, NULL, 'ollama', NULL);
INSERT INTO ollama_api_email_verification_codes (email, code, purpose, expires_at, meta)
  VALUES ('active@example.com', '123456', 'register', '2025-01-05 10:00:00+00', '{"ip": "203.0.113.7"}');
INSERT INTO ollama_api_user_access_tokens (user_id, token_hash, expires_at)
  SELECT id, 'hash-of-session', '2025-02-01 00:00:00+00' FROM ollama_api_users WHERE email = 'active@example.com';
INSERT INTO ollama_api_user_signins (user_id, sign_day)
  SELECT id, DATE '2025-01-03' FROM ollama_api_users WHERE email IN ('active@example.com', 'banned@example.com');
