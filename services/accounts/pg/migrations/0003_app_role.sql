-- The run-time role (deploy/README.md "Database roles"): freehold-accounts serves as a
-- LOGIN role that is a member of the NOLOGIN group role freehold_accounts_app, while
-- migrations run as the schema owner (--migrate-only with the owner's URL). The group
-- role owns nothing (no DDL, no TRUNCATE, no trigger changes); the deletion outbox is
-- append-only for it (the coordinator's record of what to erase) and it only reads the
-- migration bookkeeping. With one URL for everything (the local cluster, tests) the
-- service's own role owns the schema and this grant changes nothing.
--
-- Creating the role needs CREATEROLE for the migrating role; an operator may instead
-- create it beforehand (then it is left as it is). Roles are cluster-wide.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'freehold_accounts_app') THEN
    BEGIN
      CREATE ROLE freehold_accounts_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- created concurrently (another database of the cluster)
    END;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA accounts TO freehold_accounts_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA accounts TO freehold_accounts_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA accounts TO freehold_accounts_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA accounts TO freehold_accounts_app;
REVOKE UPDATE, DELETE, TRUNCATE ON accounts.deleted_accounts_outbox FROM freehold_accounts_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON accounts.schema_migrations FROM freehold_accounts_app;

-- Tables and sequences later migrations create get the same read-write grant; a later
-- append-only table must REVOKE UPDATE, DELETE from the role in its own migration.
ALTER DEFAULT PRIVILEGES IN SCHEMA accounts
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO freehold_accounts_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA accounts
  GRANT USAGE, SELECT ON SEQUENCES TO freehold_accounts_app;
