-- Ended sessions, for services that verify access tokens offline (the coordinator's
-- deny list, services/accounts/README.md "Ended sessions"): every session whose
-- revoked_at is set (logout, RevokeSession, password change, recovery, account
-- deletion, refresh-token reuse) gets one row here, written by a trigger in the same
-- transaction, so no code path can end a session without it.
--
-- Readers page by sequence (ListRevokedSessions(after_sequence)). A sequence value is
-- taken under an exclusive transaction-level advisory lock held until commit, so rows
-- become visible in sequence order and a reader that has seen sequence N never later
-- finds a smaller one committed: revocations serialize on that lock (each holds it only
-- from its session update to its commit).
CREATE TABLE revoked_sessions (
  sequence   bigserial   PRIMARY KEY,
  session_id uuid        NOT NULL,
  revoked_at timestamptz NOT NULL
);
CREATE INDEX revoked_sessions_by_time ON revoked_sessions (revoked_at);

CREATE FUNCTION record_revoked_session() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7101, 1);
  INSERT INTO accounts.revoked_sessions (session_id, revoked_at)
  VALUES (NEW.session_id, NEW.revoked_at);
  RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_record_revoked AFTER UPDATE OF revoked_at ON sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION record_revoked_session();

-- The run-time role (0003) appends and purges (rows older than any access token), never
-- rewrites.
GRANT SELECT, INSERT, DELETE ON revoked_sessions TO freehold_accounts_app;
REVOKE UPDATE, TRUNCATE ON revoked_sessions FROM freehold_accounts_app;
GRANT USAGE, SELECT ON SEQUENCE revoked_sessions_sequence_seq TO freehold_accounts_app;
