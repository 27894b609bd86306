-- Coordinator state (docs/ARCHITECTURE.md#7-the-coordinator): node registry, object manifests, deletion
-- queue, outbox cursors. Runs with search_path = coordinator.

-- Storage nodes. state: 1 up, 2 down, 3 draining, 4 retired (proto NodeState).
CREATE TABLE nodes (
  node_id          text PRIMARY KEY,
  address          text NOT NULL,
  region           text NOT NULL,
  zone             text NOT NULL,
  host             text NOT NULL,
  capacity_bytes   bigint NOT NULL CHECK (capacity_bytes >= 0),
  public_key       bytea NOT NULL CHECK (length(public_key) = 32),
  state            smallint NOT NULL CHECK (state BETWEEN 1 AND 4),
  used_bytes       bigint NOT NULL DEFAULT 0,
  free_bytes       bigint NOT NULL DEFAULT 0,
  shard_count      bigint NOT NULL DEFAULT 0,
  version          text NOT NULL DEFAULT '',
  registered_at    timestamptz NOT NULL,
  last_heartbeat   timestamptz NOT NULL,
  state_changed_at timestamptz NOT NULL
);

-- Objects. state: 1 uploading (invisible), 2 committed (visible).
-- Deleted and abandoned objects are removed; their shards go to shard_deletions.
CREATE TABLE objects (
  object_id           uuid PRIMARY KEY,
  owner_account_id    uuid NOT NULL,
  encrypted_metadata  bytea NOT NULL,
  age_header          bytea NOT NULL,
  size_bytes          bigint NOT NULL CHECK (size_bytes >= 0),
  data_shards         integer NOT NULL,
  parity_shards       integer NOT NULL,
  segment_size_bytes  bigint NOT NULL,
  state               smallint NOT NULL CHECK (state IN (1, 2)),
  public_link         boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL,
  upload_expires_at   timestamptz NOT NULL,
  committed_at        timestamptz,
  segment_count       integer NOT NULL DEFAULT 0
);
CREATE INDEX objects_by_owner ON objects (owner_account_id, object_id);
CREATE INDEX objects_uploading ON objects (upload_expires_at) WHERE state = 1;

CREATE TABLE object_shares (
  object_id   uuid NOT NULL REFERENCES objects ON DELETE CASCADE,
  account_id  uuid NOT NULL,
  PRIMARY KEY (object_id, account_id)
);
CREATE INDEX object_shares_by_account ON object_shares (account_id, object_id);

CREATE TABLE segments (
  object_id           uuid NOT NULL REFERENCES objects ON DELETE CASCADE,
  segment             integer NOT NULL CHECK (segment >= 0),
  segment_size_bytes  bigint NOT NULL,
  shard_size_bytes    bigint NOT NULL,
  committed           boolean NOT NULL DEFAULT false,
  begun_at            timestamptz NOT NULL,
  committed_at        timestamptz,
  PRIMARY KEY (object_id, segment)
);

-- state: 1 pending, 2 healthy, 3 missing, 4 deleting (proto ShardState).
CREATE TABLE shards (
  object_id    uuid NOT NULL,
  segment      integer NOT NULL,
  shard_index  integer NOT NULL CHECK (shard_index >= 0),
  node_id      text NOT NULL REFERENCES nodes,
  sha256       bytea NOT NULL CHECK (length(sha256) = 32),
  state        smallint NOT NULL CHECK (state BETWEEN 1 AND 4),
  PRIMARY KEY (object_id, segment, shard_index),
  FOREIGN KEY (object_id, segment) REFERENCES segments ON DELETE CASCADE
);
CREATE INDEX shards_by_node ON shards (node_id);

-- History of shard target changes (replacement mid-upload, repair, drain).
CREATE TABLE shard_moves (
  id           bigserial PRIMARY KEY,
  object_id    uuid NOT NULL,
  segment      integer NOT NULL,
  shard_index  integer NOT NULL,
  from_node_id text NOT NULL,
  to_node_id   text NOT NULL,
  reason       text NOT NULL,
  moved_at     timestamptz NOT NULL
);
CREATE INDEX shard_moves_by_shard ON shard_moves (object_id, segment, shard_index);

-- Shards to delete on daemons, retried with backoff by the GC loop.
CREATE TABLE shard_deletions (
  id               bigserial PRIMARY KEY,
  node_id          text NOT NULL,
  shard_key        text NOT NULL,
  enqueued_at      timestamptz NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  last_error       text NOT NULL DEFAULT '',
  UNIQUE (node_id, shard_key)
);
CREATE INDEX shard_deletions_due ON shard_deletions (next_attempt_at);

-- Progress of outbox consumers (e.g. "accounts-deletions").
CREATE TABLE consumer_cursors (
  consumer       text PRIMARY KEY,
  last_sequence  bigint NOT NULL
);

-- Timestamps cross the C++ boundary as microseconds since the Unix epoch
-- (negative = NULL).
CREATE FUNCTION micros_to_ts(us bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN us IS NULL OR us < 0 THEN NULL
                    ELSE timestamptz 'epoch' + us * interval '1 microsecond' END $$;
CREATE FUNCTION ts_to_micros(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT COALESCE((extract(epoch FROM t) * 1000000)::bigint, -1) $$;

-- Comments edited after release (checksums of the earlier texts):
-- freehold:previous-checksum 2bd430351171d25db97d6df87612f53c739a37c8e0f4450d2e79827719ce6082
