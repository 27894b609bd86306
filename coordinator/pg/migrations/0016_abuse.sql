-- Abuse reports of public links (issue 22, branch abuse; core/abuse_desk.h).
--
-- Under end-to-end encryption the coordinator never sees a file's content or name,
-- and a link's key (the part after '#') never reaches it: a report names a link by
-- its object id, and an operator can only disable the link, never read the file.
--
-- objects.link_disabled_at: set when an operator disabled the object's public link
-- after a report; the link stays off (the owner cannot turn it on again) and the
-- owner sees when.
ALTER TABLE objects ADD COLUMN link_disabled_at timestamptz;

-- One report per row. object_id has no foreign key: a report outlives the object
-- (the counts on the transparency page never go down). status: 1 open, 2 dismissed,
-- 3 link disabled. No address of the reporter is stored (the per-network rate limit
-- lives in memory); reporter_contact is what the reporter chose to give.
CREATE TABLE abuse_reports (
  report_id uuid PRIMARY KEY,
  object_id uuid NOT NULL,
  category text NOT NULL,
  details text NOT NULL DEFAULT '',
  reporter_contact text NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL,
  status smallint NOT NULL DEFAULT 1 CHECK (status IN (1, 2, 3)),
  resolved_at timestamptz,
  resolution_note text NOT NULL DEFAULT '',
  CHECK ((status = 1) = (resolved_at IS NULL))
);
CREATE INDEX abuse_reports_by_status ON abuse_reports (status, received_at, report_id);
CREATE INDEX abuse_reports_by_object ON abuse_reports (object_id) WHERE status = 1;

-- Requests from authorities, as recorded by an operator: when, what kind, where
-- from, and the outcome. Never content (the operator has none to give).
CREATE TABLE authority_requests (
  request_id uuid PRIMARY KEY,
  received_on date NOT NULL,
  kind text NOT NULL,
  jurisdiction text NOT NULL,
  outcome text NOT NULL,
  recorded_at timestamptz NOT NULL
);
