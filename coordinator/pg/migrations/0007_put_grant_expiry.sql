-- The latest expiry of the PUT grants issued for an object's shards. A deleted or
-- collected object's shard deletions are scheduled no earlier than this, so a PUT
-- grant replayed after the delete finds its shard still there (already present)
-- instead of leaving a shard nothing references (docs/ARCHITECTURE.md#10-keeping-data-alive).
ALTER TABLE objects ADD COLUMN put_grants_expire_at timestamptz;
