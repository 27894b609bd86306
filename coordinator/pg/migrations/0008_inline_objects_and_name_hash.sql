-- Small objects stored inline and name lookup without listing
-- (docs/ARCHITECTURE.md#small-objects).
--
-- inline_payload: the whole age STREAM payload of a small object (PutInlineObjects);
-- such an object has no segments or shards, is committed at once and is removed
-- with its row. NULL for sharded objects.
-- name_hash: keyed hash (32 bytes) of the object's name, the key derived on the
-- client from the account identity; NULL for objects stored before it existed
-- (clients then fall back to listing).
ALTER TABLE objects
  ADD COLUMN inline_payload bytea,
  ADD COLUMN name_hash bytea CHECK (name_hash IS NULL OR length(name_hash) = 32);

CREATE INDEX objects_by_name_hash ON objects (owner_account_id, name_hash)
  WHERE name_hash IS NOT NULL;
