-- The abandoned-account trash (services/accounts/README.md "Abandoned accounts",
-- coordinator/core/account_trash.h); branch `lifecycle`.
--
-- trashed_with_account: the object went to the trash because accounts trashed its
-- owner's account (the trashed-accounts outbox), not because the owner deleted it. Only
-- such objects come back when the account is renewed (a RESTORE row); objects the owner
-- deleted keep their own trash window. Any other change of trashed_at (the owner's
-- restore or delete) clears it (PgObjects::Update).
ALTER TABLE objects
  ADD COLUMN trashed_with_account boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT objects_trashed_with_account CHECK (NOT trashed_with_account OR trashed_at IS NOT NULL);

CREATE INDEX objects_trashed_with_account ON objects (owner_account_id, object_id)
  WHERE trashed_with_account;
