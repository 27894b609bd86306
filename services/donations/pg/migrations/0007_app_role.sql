-- The run-time role (deploy/README.md "Database roles"): freehold-donations serves as a
-- LOGIN role that is a member of the NOLOGIN group role freehold_donations_app, while
-- migrations run as the schema owner (--migrate-only with the owner's URL). The group
-- role owns nothing, so it cannot ALTER TABLE ... DISABLE TRIGGER, DROP TRIGGER or drop
-- a table; on the ledger and the event journal it may only read and append: no UPDATE,
-- DELETE or TRUNCATE privilege, in addition to the append-only triggers of 0001.
-- With one URL for everything (the local cluster, tests) the service's own role owns
-- the schema and this grant changes nothing.
--
-- Creating the role needs CREATEROLE for the migrating role; an operator may instead
-- create it beforehand (then it is left as it is). Roles are cluster-wide: databases of
-- one cluster share it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'freehold_donations_app') THEN
    BEGIN
      CREATE ROLE freehold_donations_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- created concurrently (another database of the cluster)
    END;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA donations TO freehold_donations_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA donations TO freehold_donations_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA donations TO freehold_donations_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA donations TO freehold_donations_app;
-- Append-only: the ledger and the event journal (idempotency records).
REVOKE UPDATE, DELETE, TRUNCATE ON donations.ledger, donations.events FROM freehold_donations_app;
-- The migration bookkeeping: read (the start-up check), never written.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON donations.schema_migrations FROM freehold_donations_app;

-- Tables and sequences later migrations create get the same read-write grant; a later
-- append-only table must REVOKE UPDATE, DELETE from the role in its own migration.
ALTER DEFAULT PRIVILEGES IN SCHEMA donations
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO freehold_donations_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA donations
  GRANT USAGE, SELECT ON SEQUENCES TO freehold_donations_app;
