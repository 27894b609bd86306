-- The abandoned-account trash handed to the coordinator (services/accounts/README.md
-- "Abandoned accounts"); branch `lifecycle`.
--
-- Every change of accounts.trashed_at appends one row here, written by a trigger in the
-- same transaction, so no code path can trash or renew an account without it:
--   trash    trashed_at set (the lifecycle's trash step): the coordinator moves every
--            live object of the account into its trash
--   restore  trashed_at cleared while the account is live (a login, recovery or refresh
--            renewed it): the coordinator restores the objects it trashed for the account
-- Collection needs no row here: it is the deletion outbox (deleted_accounts_outbox),
-- which deletes the account's objects, trashed or not.
--
-- Readers page by sequence (ListTrashedAccounts(after_sequence)). As in
-- revoked_sessions (0004), a sequence value is taken under an exclusive
-- transaction-level advisory lock held until commit, so rows become visible in
-- sequence order and a reader that has seen sequence N never later finds a smaller one.
CREATE TABLE trashed_accounts_outbox (
  sequence   bigserial   PRIMARY KEY,
  account_id uuid        NOT NULL,
  action     text        NOT NULL CHECK (action IN ('trash', 'restore')),
  at         timestamptz NOT NULL
);

CREATE FUNCTION record_account_trash_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.deleted_at IS NOT NULL THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(7101, 2);
  IF OLD.trashed_at IS NULL AND NEW.trashed_at IS NOT NULL THEN
    INSERT INTO accounts.trashed_accounts_outbox (account_id, action, at)
    VALUES (NEW.account_id, 'trash', NEW.trashed_at);
  ELSIF OLD.trashed_at IS NOT NULL AND NEW.trashed_at IS NULL THEN
    INSERT INTO accounts.trashed_accounts_outbox (account_id, action, at)
    VALUES (NEW.account_id, 'restore', NEW.last_seen_at);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_record_trash_change AFTER UPDATE OF trashed_at ON accounts
  FOR EACH ROW WHEN (OLD.trashed_at IS DISTINCT FROM NEW.trashed_at)
  EXECUTE FUNCTION record_account_trash_change();

-- The run-time role (0003) appends and reads, never rewrites. Consumers' acks go to
-- outbox_consumers under the name "trashed-accounts/<consumer>".
GRANT SELECT, INSERT ON trashed_accounts_outbox TO freehold_accounts_app;
REVOKE UPDATE, DELETE, TRUNCATE ON trashed_accounts_outbox FROM freehold_accounts_app;
GRANT USAGE, SELECT ON SEQUENCE trashed_accounts_outbox_sequence_seq TO freehold_accounts_app;
GRANT EXECUTE ON FUNCTION record_account_trash_change() TO freehold_accounts_app;
