-- Inventory reconciliation (docs/ARCHITECTURE.md#10-keeping-data-alive): how many times
-- the node has registered (each daemon start). The leader skips a node whose report
-- equals the one it last found consistent; a restarted daemon that lost its files can
-- report exactly that old value (e.g. the empty inventory it had before its first
-- shards), so a new epoch makes the leader compare again.
-- Runs with search_path = coordinator.
ALTER TABLE nodes ADD COLUMN inventory_epoch bigint NOT NULL DEFAULT 0;
