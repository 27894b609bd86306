-- Audits, node reputation and drains (docs/ARCHITECTURE.md#10-keeping-data-alive).
-- Runs with search_path = coordinator.

-- Reputation of a node from its audit history (coordinator/core/reputation.h): the
-- forgetting alpha/beta pairs of the audit score and of the online score, counters for
-- operators, and when the node fell below the threshold (suspended: no new shards; the
-- drain starts --suspended-drain-after later).
CREATE TABLE node_reputation (
  node_id          text PRIMARY KEY REFERENCES nodes ON DELETE CASCADE,
  audit_alpha      double precision NOT NULL,
  audit_beta       double precision NOT NULL,
  online_alpha     double precision NOT NULL,
  online_beta      double precision NOT NULL,
  audits_passed    bigint NOT NULL DEFAULT 0,
  audits_failed    bigint NOT NULL DEFAULT 0,
  audits_offline   bigint NOT NULL DEFAULT 0,
  suspended_at     timestamptz,
  updated_at       timestamptz NOT NULL
);

-- When each shard copy (a shard on a node) is audited next. No row = never audited: due
-- at its segment's commit. A move to another node starts afresh (the key includes it).
CREATE TABLE shard_audits (
  object_id      uuid NOT NULL,
  segment        integer NOT NULL,
  shard_index    integer NOT NULL,
  node_id        text NOT NULL,
  last_audit_at  timestamptz NOT NULL,
  next_audit_at  timestamptz NOT NULL,
  PRIMARY KEY (object_id, segment, shard_index, node_id),
  FOREIGN KEY (object_id, segment) REFERENCES segments ON DELETE CASCADE
);
CREATE INDEX shard_audits_due ON shard_audits (next_audit_at);

-- Unused audit challenges of a shard's bytes: a random BLAKE2b key and the keyed hash
-- the coordinator computed when it last read the whole shard. Each is used once (a node
-- cannot answer a key it has not seen without the bytes). Independent of the node: the
-- bytes of a shard are fixed by its recorded SHA-256.
CREATE TABLE audit_challenges (
  id             bigserial PRIMARY KEY,
  object_id      uuid NOT NULL,
  segment        integer NOT NULL,
  shard_index    integer NOT NULL,
  challenge_key  bytea NOT NULL CHECK (length(challenge_key) = 32),
  keyed_hash     bytea NOT NULL CHECK (length(keyed_hash) = 32),
  FOREIGN KEY (object_id, segment) REFERENCES segments ON DELETE CASCADE
);
CREATE INDEX audit_challenges_by_shard ON audit_challenges (object_id, segment, shard_index);

-- Drain progress: bytes a draining node held when the drain started and bytes moved.
CREATE TABLE node_drains (
  node_id        text PRIMARY KEY REFERENCES nodes ON DELETE CASCADE,
  started_at     timestamptz NOT NULL,
  initial_shards bigint NOT NULL,
  initial_bytes  bigint NOT NULL,
  moved_shards   bigint NOT NULL DEFAULT 0,
  moved_bytes    bigint NOT NULL DEFAULT 0,
  finished_at    timestamptz,
  reason         text NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON node_reputation, shard_audits, audit_challenges,
  node_drains TO freehold_coordinator_app;
GRANT USAGE, SELECT ON SEQUENCE audit_challenges_id_seq TO freehold_coordinator_app;
