-- Notices to owners from the coordinator (branch notify; issue 22 "the owner is told";
-- core/owner_notices.h). The coordinator knows no contact address: it hands accounts
-- (account or organization id, kind, non-secret details) over
-- Accounts.RecordOwnerNotices, and accounts writes a notification_outbox row for each
-- recipient who gave a contact address (an organization's owners and admins; an
-- account itself). Delivery is at least once; owner_notices_received makes it
-- idempotent: a notice_id seen before writes nothing, whether or not it wrote rows the
-- first time (no contact then, a contact given since, rows of a deleted account gone).
CREATE TABLE owner_notices_received (
  notice_id   uuid        PRIMARY KEY,
  kind        text        NOT NULL,
  owner_id    uuid        NOT NULL,
  received_at timestamptz NOT NULL
);

-- The new kind and its details for the operator's mailer (deploy/README.md "The
-- notification outbox"):
--   link_disabled  an operator disabled the public link to object_id after an abuse
--                  report in category reason, at act_at. No link key, file name or
--                  content, no reporter or operator text.
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_check
  CHECK (kind IN ('inactivity_warning', 'inactivity_trashed', 'link_disabled'));
ALTER TABLE notification_outbox ADD COLUMN notice_id uuid;
ALTER TABLE notification_outbox ADD COLUMN object_id uuid;
ALTER TABLE notification_outbox ADD COLUMN reason text;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_notice_details
  CHECK ((kind = 'link_disabled') = (notice_id IS NOT NULL AND object_id IS NOT NULL
                                     AND reason IS NOT NULL));
-- One row per notice and recipient, whatever happens.
CREATE UNIQUE INDEX notification_outbox_one_per_notice ON notification_outbox
  (notice_id, account_id) WHERE notice_id IS NOT NULL;

-- The run-time role records notices and never rewrites them.
GRANT SELECT, INSERT ON owner_notices_received TO freehold_accounts_app;
REVOKE UPDATE, DELETE, TRUNCATE ON owner_notices_received FROM freehold_accounts_app;
