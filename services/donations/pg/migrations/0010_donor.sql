-- Claiming past donations by e-mail, and the notification outbox
-- (services/donations/README.md "Claiming past donations"). Branch: donor.
--
-- A donor with a token (from a donation intent or an earlier payment) proves they own an
-- e-mail address with a one-time code mailed to it; the donors Stripe reported with that
-- address (donor_personal.email) are then linked to the claimant: their donations,
-- receipts and pledges are reachable with the claimant's token and erased with theirs.
-- The ledger is append-only and unchanged: the link is a row here.

-- Messages for the operator's mailer (no mail server in this project): it reads them
-- with ListNotifications and deletes them with AckNotifications once sent, or with
--   SELECT id, kind, recipient, subject, body FROM donations.notification_outbox ORDER BY id;
--   DELETE FROM donations.notification_outbox WHERE id = ANY(...);
-- A row holds an e-mail address (personal data): it is deleted once sent, and by the
-- donor's erasure.
CREATE TABLE donations.notification_outbox (
  id         bigserial   PRIMARY KEY,
  kind       text        NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
  recipient  text        NOT NULL,
  subject    text        NOT NULL,
  body       text        NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX notification_outbox_recipient ON donations.notification_outbox (lower(recipient));

-- One-time codes: only a BLAKE2b-256 hash of the code (keyed by the claim id) is kept;
-- a claim expires, allows a few wrong codes, and is used once.
CREATE TABLE donations.email_claims (
  claim_id    uuid        PRIMARY KEY,
  donor_id    uuid        NOT NULL REFERENCES donations.donors (donor_id),
  email       text        NOT NULL,  -- lower case; deleted with the claim or by erasure
  code_hash   bytea       NOT NULL CHECK (length(code_hash) = 32),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  attempts    integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  consumed_at timestamptz
);
CREATE INDEX email_claims_by_donor ON donations.email_claims (donor_id, created_at);
CREATE INDEX email_claims_by_email ON donations.email_claims (email, created_at);

-- The links: claimed_donor_id's entries belong to donor_id's token from now on.
CREATE TABLE donations.donor_claims (
  donor_id         uuid        NOT NULL REFERENCES donations.donors (donor_id),
  claimed_donor_id uuid        NOT NULL REFERENCES donations.donors (donor_id),
  claimed_at       timestamptz NOT NULL,
  PRIMARY KEY (donor_id, claimed_donor_id),
  CHECK (donor_id <> claimed_donor_id)
);
CREATE INDEX donor_claims_claimed ON donations.donor_claims (claimed_donor_id);

-- A donor and the donors they claimed.
CREATE FUNCTION donations.donor_and_claimed(d uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
  SELECT d UNION SELECT claimed_donor_id FROM donations.donor_claims WHERE donor_id = d
$$;

CREATE INDEX donor_personal_lower_email ON donations.donor_personal (lower(email))
  WHERE email IS NOT NULL;

GRANT SELECT, INSERT, DELETE ON donations.notification_outbox TO freehold_donations_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON donations.email_claims TO freehold_donations_app;
GRANT SELECT, INSERT ON donations.donor_claims TO freehold_donations_app;
GRANT USAGE, SELECT ON SEQUENCE donations.notification_outbox_id_seq TO freehold_donations_app;
GRANT EXECUTE ON FUNCTION donations.donor_and_claimed(uuid) TO freehold_donations_app;
-- Erasure redacts personal data inside kept raw bodies (dead letters, review events,
-- parked payments).
GRANT UPDATE (raw_body) ON donations.dead_letters, donations.review_events,
  donations.parked_payments TO freehold_donations_app;
