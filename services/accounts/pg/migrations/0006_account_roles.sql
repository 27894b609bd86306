-- Operator and admin roles held by accounts (services/accounts/README.md "Roles").
-- A role is added to the scopes of the account's access tokens at login and refresh,
-- so other services authorize operator calls offline from the signed token:
--   accounts:admin        may grant and revoke roles (GrantRole, RevokeRole, ListRoles)
--   donations:admin       the donations service's operator calls
--   coordinator:operator  the coordinator's operator calls (ClusterStatus, nodes, ...)
-- The first admin is made with `freehold-accounts --bootstrap-admin HANDLE`.
CREATE TABLE account_roles (
  account_id uuid        NOT NULL REFERENCES accounts (account_id),
  role       text        NOT NULL
             CHECK (role IN ('accounts:admin', 'donations:admin', 'coordinator:operator')),
  granted_by uuid        REFERENCES accounts (account_id),  -- NULL: the bootstrap command
  granted_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, role)
);

-- A deleted account (deleted_at set) holds no role.
CREATE FUNCTION drop_roles_of_deleted_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM accounts.account_roles WHERE account_id = NEW.account_id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER accounts_drop_roles_on_delete AFTER UPDATE OF deleted_at ON accounts
  FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
  EXECUTE FUNCTION drop_roles_of_deleted_account();

GRANT SELECT, INSERT, DELETE ON account_roles TO freehold_accounts_app;
GRANT EXECUTE ON FUNCTION drop_roles_of_deleted_account() TO freehold_accounts_app;
