-- Node admission (docs/ARCHITECTURE.md#14-trust): a storage node is placed only after an
-- operator approved its id and key (freehold-admin nodes approve). Refused registration
-- attempts are kept for `nodes pending`. Runs with search_path = coordinator.

-- Approved node ids and the key each was approved with (pinned: a registration with
-- another key is refused). revoked_at set = revoked: refused, taken out of placement.
CREATE TABLE node_admissions (
  node_id     text PRIMARY KEY,
  public_key  bytea NOT NULL CHECK (length(public_key) = 32),
  approved_at timestamptz NOT NULL,
  revoked_at  timestamptz
);

-- The latest refused RegisterNode per node id (bounded by the coordinator).
CREATE TABLE node_registration_attempts (
  node_id          text PRIMARY KEY,
  public_key       bytea NOT NULL CHECK (length(public_key) = 32),
  address          text NOT NULL,
  region           text NOT NULL,
  zone             text NOT NULL,
  host             text NOT NULL,
  capacity_bytes   bigint NOT NULL CHECK (capacity_bytes >= 0),
  reason           text NOT NULL,
  attempts         bigint NOT NULL DEFAULT 1,
  first_at         timestamptz NOT NULL,
  last_at          timestamptz NOT NULL
);

-- Nodes registered before admission existed stay admitted with the key they hold, at
-- full placement weight (approved when they registered).
INSERT INTO node_admissions (node_id, public_key, approved_at)
  SELECT node_id, public_key, registered_at FROM nodes WHERE state <> 4;
