-- Accounts schema (applied with search_path = accounts by common/migrations.h).
-- The server stores no password, key-encryption key or identity secret: only the salt,
-- Argon2id parameters, verifier = BLAKE2b-256(pepper, auth_key), the wrapped identity
-- and the public key. Deleted accounts keep only id, handle and times.

CREATE TABLE accounts (
  account_id       uuid PRIMARY KEY,
  handle           text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9_.-]{3,32}$'),
  salt             bytea CHECK (octet_length(salt) = 16),
  kdf_ops_limit    bigint,
  kdf_mem_limit    bigint,
  kdf_algorithm    text,
  verifier         bytea CHECK (octet_length(verifier) = 32),
  wrapped_identity bytea CHECK (octet_length(wrapped_identity) BETWEEN 1 AND 512),
  public_key       text,
  contact          text CHECK (octet_length(contact) <= 256),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  deleted_at       timestamptz,
  CHECK (deleted_at IS NOT NULL OR (salt IS NOT NULL AND kdf_ops_limit IS NOT NULL AND
         kdf_mem_limit IS NOT NULL AND kdf_algorithm IS NOT NULL AND verifier IS NOT NULL AND
         wrapped_identity IS NOT NULL AND public_key IS NOT NULL))
);

-- A session is a refresh-token family. refresh_hash = BLAKE2b-256 of the one live
-- refresh token; login writes exactly this one row.
CREATE TABLE sessions (
  session_id    uuid PRIMARY KEY,
  account_id    uuid NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  device_name   text NOT NULL,
  refresh_hash  bytea NOT NULL UNIQUE CHECK (octet_length(refresh_hash) = 32),
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  revoke_reason text
);
CREATE INDEX sessions_by_account ON sessions (account_id) WHERE revoked_at IS NULL;

-- Refresh tokens already spent by rotation (BLAKE2b-256). Presenting one again means it
-- was copied: the whole session is revoked.
CREATE TABLE spent_refresh_tokens (
  token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  session_id uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
  spent_at   timestamptz NOT NULL
);
CREATE INDEX spent_refresh_tokens_by_session ON spent_refresh_tokens (session_id);

-- Single-use recovery challenges, stored as BLAKE2b-256(challenge). The server's
-- ephemeral X25519 secret is derived from the pepper and the challenge, never stored.
CREATE TABLE recovery_challenges (
  challenge_hash bytea PRIMARY KEY CHECK (octet_length(challenge_hash) = 32),
  account_id     uuid NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz
);

-- Transactional outbox of account deletions, consumed by the coordinator.
CREATE TABLE deleted_accounts_outbox (
  sequence   bigserial PRIMARY KEY,
  account_id uuid NOT NULL,
  deleted_at timestamptz NOT NULL
);

CREATE TABLE outbox_consumers (
  consumer       text PRIMARY KEY,
  acked_sequence bigint NOT NULL,
  updated_at     timestamptz NOT NULL
);
