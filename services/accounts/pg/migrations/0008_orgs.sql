-- Organizations (services/accounts/README.md "Organizations", core/orgs.h). An
-- organization has members with roles and its own age X25519 identity, made by a client
-- and never seen by the server: the server keeps its public key (age1..., the
-- recipient org-owned data is encrypted to) and, per member and key generation, the
-- identity wrapped to the member's public key (an age file). Removing a member rotates
-- the identity: generation + 1, a new public key, new wrappings for the remaining
-- members only, and every wrapping of the removed member deleted.
CREATE TABLE organizations (
  org_id     uuid        PRIMARY KEY,
  name       text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_.-]{3,32}$'),
  public_key text        NOT NULL,
  generation integer     NOT NULL CHECK (generation >= 1),
  created_by uuid        NOT NULL REFERENCES accounts (account_id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE org_members (
  org_id     uuid        NOT NULL REFERENCES organizations (org_id) ON DELETE CASCADE,
  account_id uuid        NOT NULL REFERENCES accounts (account_id),
  role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'read-only')),
  added_by   uuid        REFERENCES accounts (account_id),
  added_at   timestamptz NOT NULL,
  PRIMARY KEY (org_id, account_id)
);
CREATE INDEX org_members_by_account ON org_members (account_id);

-- The organization's identity of generation `generation`, wrapped to one member.
CREATE TABLE org_key_wraps (
  org_id     uuid    NOT NULL,
  generation integer NOT NULL CHECK (generation >= 1),
  account_id uuid    NOT NULL,
  wrapped    bytea   NOT NULL CHECK (octet_length(wrapped) BETWEEN 1 AND 2048),
  PRIMARY KEY (org_id, account_id, generation),
  FOREIGN KEY (org_id, account_id) REFERENCES org_members (org_id, account_id)
    ON DELETE CASCADE
);

-- A deleted account (DeleteAccount or collection) leaves every organization.
CREATE FUNCTION drop_memberships_of_deleted_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM accounts.org_members WHERE account_id = NEW.account_id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER accounts_drop_memberships_on_delete AFTER UPDATE OF deleted_at ON accounts
  FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
  EXECUTE FUNCTION drop_memberships_of_deleted_account();

GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, org_members, org_key_wraps
  TO freehold_accounts_app;
GRANT EXECUTE ON FUNCTION drop_memberships_of_deleted_account() TO freehold_accounts_app;
