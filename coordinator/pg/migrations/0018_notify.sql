-- Notices to owners (branch notify; issue 22 "the owner is told";
-- core/owner_notices.h). The coordinator knows no contact address: when something
-- happens to an object that its owner must hear about (today: an operator disabled its
-- public link after an abuse report), a row is written here in the same transaction as
-- the change, and a leader loop hands the undelivered rows to accounts
-- (Accounts.RecordOwnerNotices, coordinator certificate), which writes its
-- notification_outbox row only if the owner gave a contact address. delivered_at is set
-- after accounts answered OK; accounts ignores a notice_id it has seen before, so a
-- restart between the two repeats the call and writes no second row.
--
-- Non-secret details only: the object id, when, and the report's category. Never a
-- link key (the coordinator has none), a file's name or content, the reporter's text,
-- contact or the operator's note.
CREATE TABLE owner_notices (
  notice_id       uuid        PRIMARY KEY,
  kind            text        NOT NULL CHECK (kind IN ('link_disabled')),
  owner_id        uuid        NOT NULL,  -- objects.owner_account_id: an account or an org
  object_id       uuid        NOT NULL,
  reason_category text        NOT NULL,
  occurred_at     timestamptz NOT NULL,
  delivered_at    timestamptz
);
CREATE INDEX owner_notices_undelivered ON owner_notices (occurred_at, notice_id)
  WHERE delivered_at IS NULL;
