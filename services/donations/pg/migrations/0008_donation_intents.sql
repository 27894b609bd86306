-- Donation intents for the donor portal (services/donations/README.md "Donor portal").
-- The portal asks for an intent before sending the donor to Stripe; the service creates
-- the donor (a random donor_id, personal data only if the donor gave a contact), hands
-- the portal a donor token (stored as its hash in donor_tokens, as at intake) and a
-- donor reference. The portal passes the reference to Stripe as metadata "donor_ref"
-- (and client_reference_id); the webhook finds the intent by it and records the payment
-- for that donor, so the donor's history, receipts and pledges are reachable with the
-- token from the first payment on.
--
-- An intent holds no personal data and is never changed: the app role may read and
-- insert it, not update or delete it, and triggers refuse any change as they do for the
-- ledger (whose rules are unchanged).
CREATE TABLE donations.donation_intents (
  donor_ref    text        PRIMARY KEY CHECK (donor_ref ~ '^fhr_[A-Za-z0-9_-]{22}$'),
  donor_id     uuid        NOT NULL REFERENCES donations.donors (donor_id),
  amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
  currency     char(3)     NOT NULL,
  campaign_id  uuid        REFERENCES donations.campaigns (campaign_id),
  monthly      boolean     NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX donation_intents_by_donor ON donations.donation_intents (donor_id);
CREATE TRIGGER donation_intents_append_only BEFORE UPDATE OR DELETE ON donations.donation_intents
  FOR EACH ROW EXECUTE FUNCTION donations.refuse_ledger_change();
CREATE TRIGGER donation_intents_no_truncate BEFORE TRUNCATE ON donations.donation_intents
  FOR EACH STATEMENT EXECUTE FUNCTION donations.refuse_ledger_change();

-- The donor a pledge (subscription) belongs to, when its metadata names an intent; the
-- portal's cancellation request (CancelMyPledge): recorded here, carried out by the
-- portal at Stripe, confirmed by customer.subscription.deleted (cancelled_at).
ALTER TABLE donations.pledges
  ADD COLUMN donor_id uuid REFERENCES donations.donors (donor_id),
  ADD COLUMN cancel_requested_at timestamptz;
CREATE INDEX pledges_by_donor ON donations.pledges (donor_id) WHERE donor_id IS NOT NULL;

GRANT SELECT, INSERT ON donations.donation_intents TO freehold_donations_app;
REVOKE UPDATE, DELETE, TRUNCATE ON donations.donation_intents FROM freehold_donations_app;
