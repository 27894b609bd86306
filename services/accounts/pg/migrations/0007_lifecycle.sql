-- Abandoned accounts (services/accounts/README.md "Abandoned accounts",
-- core/account_lifecycle.h). Every account holds a liveness lease: last_seen_at, moved
-- forward by a login, a recovery or a refresh at most once a day. After the configured
-- silence the account is warned (warned_at; a row in notification_outbox if it gave a
-- contact address), after a further grace period it is trashed (trashed_at: sessions
-- revoked, data kept), and after the trash retention it is collected (deleted through
-- deleted_accounts_outbox, like DeleteAccount). A login at any point before collection
-- clears warned_at and trashed_at.
ALTER TABLE accounts ADD COLUMN last_seen_at timestamptz;
UPDATE accounts a SET last_seen_at = GREATEST(a.created_at, a.updated_at,
  (SELECT max(s.last_used_at) FROM sessions s WHERE s.account_id = a.account_id));
ALTER TABLE accounts ALTER COLUMN last_seen_at SET DEFAULT now();
ALTER TABLE accounts ALTER COLUMN last_seen_at SET NOT NULL;
ALTER TABLE accounts ADD COLUMN warned_at timestamptz;
ALTER TABLE accounts ADD COLUMN trashed_at timestamptz;
ALTER TABLE accounts ADD CONSTRAINT accounts_trashed_after_warning
  CHECK (trashed_at IS NULL OR warned_at IS NOT NULL);

-- The lifecycle pass looks for live accounts by silence, warning and trash time.
CREATE INDEX accounts_lease_by_last_seen ON accounts (last_seen_at)
  WHERE deleted_at IS NULL AND warned_at IS NULL;
CREATE INDEX accounts_lease_by_warned ON accounts (warned_at)
  WHERE deleted_at IS NULL AND warned_at IS NOT NULL AND trashed_at IS NULL;
CREATE INDEX accounts_lease_by_trashed ON accounts (trashed_at)
  WHERE deleted_at IS NULL AND trashed_at IS NOT NULL;

-- Messages for the operator's mailer (there is no mail server in Freehold). The mailer
-- reads rows with sent_at IS NULL in sequence order, sends them, and sets sent_at
-- (deploy/README.md "The notification outbox"). kind:
--   inactivity_warning  the account will be trashed at act_at unless its owner logs in
--   inactivity_trashed  the account was trashed; collected at act_at unless its owner
--                       logs in
-- Rows of a collected or deleted account are removed with it (the contact address goes).
CREATE TABLE notification_outbox (
  sequence   bigserial   PRIMARY KEY,
  account_id uuid        NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  kind       text        NOT NULL CHECK (kind IN ('inactivity_warning', 'inactivity_trashed')),
  handle     text        NOT NULL,
  contact    text        NOT NULL CHECK (octet_length(contact) BETWEEN 1 AND 256),
  act_at     timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  sent_at    timestamptz
);
CREATE INDEX notification_outbox_unsent ON notification_outbox (sequence) WHERE sent_at IS NULL;
CREATE INDEX notification_outbox_by_account ON notification_outbox (account_id);

-- A deleted account (DeleteAccount or collection) leaves no contact address behind.
CREATE FUNCTION drop_notifications_of_deleted_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM accounts.notification_outbox WHERE account_id = NEW.account_id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER accounts_drop_notifications_on_delete AFTER UPDATE OF deleted_at ON accounts
  FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
  EXECUTE FUNCTION drop_notifications_of_deleted_account();

-- Running totals of the lifecycle, public on the transparency page (GetLifecycleReport):
-- warned, trashed, collected, and renewed (a warned or trashed account whose owner came
-- back). Updated in the same transaction as each step.
CREATE TABLE lifecycle_totals (
  stage text   PRIMARY KEY CHECK (stage IN ('warned', 'trashed', 'collected', 'renewed')),
  total bigint NOT NULL CHECK (total >= 0)
);
INSERT INTO lifecycle_totals (stage, total)
  VALUES ('warned', 0), ('trashed', 0), ('collected', 0), ('renewed', 0);

GRANT SELECT, INSERT, UPDATE, DELETE ON notification_outbox TO freehold_accounts_app;
GRANT USAGE, SELECT ON SEQUENCE notification_outbox_sequence_seq TO freehold_accounts_app;
GRANT SELECT, UPDATE ON lifecycle_totals TO freehold_accounts_app;
GRANT EXECUTE ON FUNCTION drop_notifications_of_deleted_account() TO freehold_accounts_app;
REVOKE INSERT, DELETE, TRUNCATE ON lifecycle_totals FROM freehold_accounts_app;

-- The operator's mailer logs in as a member of this group role: it reads the outbox and
-- marks rows sent, nothing else.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'freehold_mailer') THEN
    BEGIN
      CREATE ROLE freehold_mailer NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA accounts TO freehold_mailer;
GRANT SELECT ON notification_outbox TO freehold_mailer;
GRANT UPDATE (sent_at) ON notification_outbox TO freehold_mailer;
