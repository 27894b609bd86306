-- The trash window (docs/ARCHITECTURE.md#10-keeping-data-alive, "Trash"); branch `trash`.
--
-- trashed_at: when the owner deleted the object; NULL = not in the trash. A trashed
-- object stays committed (state 2) with its segments and shards, so repair, audits,
-- inventory and the orphan sweep keep treating its shards as live, and the funding
-- model counts its bytes as used; but nobody can read, list, share or look it up
-- by name until it is restored.
-- purge_at: when the window ends (trashed_at + --trash-window at delete time); the
-- trash-purge loop then removes the object and queues its shard deletions (the
-- existing GC path, not before put_grants_expire_at).
ALTER TABLE objects
  ADD COLUMN trashed_at timestamptz,
  ADD COLUMN purge_at timestamptz,
  ADD CONSTRAINT objects_trash_pair CHECK ((trashed_at IS NULL) = (purge_at IS NULL));

CREATE INDEX objects_trash_due ON objects (purge_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX objects_trash_by_owner ON objects (owner_account_id, object_id)
  WHERE trashed_at IS NOT NULL;
