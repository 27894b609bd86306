-- Donated disks (issue 23, branch donated; core/node_donations.h): an operator's record
-- that an approved storage node is run by a member of the community who donates its
-- capacity. The record makes the node's audited, available capacity count as an in-kind
-- donation (core/inkind_valuation.h) while the node is in good standing.
--
-- One row per node. node_id references the node's admission: a donation is recorded
-- only for an approved id, and goes with it if the admission row is ever deleted.
-- donated_by is the owner's label (as they wish to be credited on the transparency page
-- in aggregate), terms what was agreed; approved_by names the operator ("cert:<id>" or
-- "account:<uuid>"). cap_bytes > 0 caps the raw bytes that count (0 = no cap).
CREATE TABLE node_donations (
  node_id      text PRIMARY KEY REFERENCES node_admissions (node_id) ON DELETE CASCADE,
  donated_by   text NOT NULL CHECK (length(donated_by) BETWEEN 1 AND 200),
  terms        text NOT NULL CHECK (octet_length(terms) BETWEEN 1 AND 16384),
  approved_by  text NOT NULL,
  approved_at  timestamptz NOT NULL,
  cap_bytes    bigint NOT NULL DEFAULT 0 CHECK (cap_bytes >= 0)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON node_donations TO freehold_coordinator_app;
