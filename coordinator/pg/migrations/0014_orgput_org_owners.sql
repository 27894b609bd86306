-- Branch orgput (issue 21): the owners that are organizations. An organization's
-- objects are owned by its id (objects.owner_account_id = the org id from accounts), so
-- every per-owner rule applies to it as one owner; this table tells which owner ids are
-- organizations (recorded at an organization's first write through the coordinator,
-- core/org_access.h) for the per-organization usage figures.
CREATE TABLE org_owners (
  org_id         uuid        PRIMARY KEY,
  first_write_at timestamptz NOT NULL DEFAULT now()
);
