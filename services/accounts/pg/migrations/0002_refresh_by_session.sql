-- Refresh tokens now carry their session id (token = session id || 32 random bytes), so
-- Refresh finds the session by primary key and compares sessions.refresh_hash in
-- constant time in the service. The unique index on refresh_hash was only a lookup
-- path: dropping it saves one random-key index update per login. Tokens issued before
-- this migration (32 bytes, no session id) are refused; their holders log in again.
ALTER TABLE sessions DROP CONSTRAINT sessions_refresh_hash_key;

-- Reuse detection looks a spent token up together with its session.
DROP INDEX spent_refresh_tokens_by_session;
CREATE INDEX spent_refresh_tokens_by_session ON spent_refresh_tokens (session_id, token_hash);
