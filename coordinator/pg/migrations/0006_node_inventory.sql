-- Inventory reconciliation (docs/ARCHITECTURE.md#10-keeping-data-alive): each node's
-- latest heartbeat report of its intact shards, a count and the XOR of SHA-256(key)
-- over their keys. NULL: never reported (an older daemon).
-- Runs with search_path = coordinator.
ALTER TABLE nodes
  ADD COLUMN inventory_count  bigint CHECK (inventory_count >= 0),
  ADD COLUMN inventory_digest bytea CHECK (length(inventory_digest) = 32);
