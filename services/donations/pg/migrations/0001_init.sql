-- Donations schema (docs/ARCHITECTURE.md#11-donations). The migration runner sets search_path to
-- "donations"; names are qualified anyway for clarity.
CREATE SCHEMA IF NOT EXISTS donations;

-- Append-only guard: ledger tables refuse UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION donations.refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'donations.%: the ledger is append-only (% refused); record a reversing entry instead',
    TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;

-- Every provider event seen, keyed by its id: the idempotency record.
CREATE TABLE donations.events (
  provider    text        NOT NULL,
  event_id    text        NOT NULL,
  type        text        NOT NULL,
  kind        text        NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- Donors: a pseudonymous id; personal data lives in donor_personal and can be erased.
CREATE TABLE donations.donors (
  donor_id   uuid        PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE donations.donor_personal (
  donor_id     uuid PRIMARY KEY REFERENCES donations.donors (donor_id),
  provider     text NOT NULL,
  customer_ref text,
  name         text,
  email        text
);
CREATE UNIQUE INDEX donor_personal_customer ON donations.donor_personal (provider, customer_ref)
  WHERE customer_ref IS NOT NULL;
CREATE INDEX donor_personal_email ON donations.donor_personal (provider, email)
  WHERE email IS NOT NULL;
CREATE TABLE donations.donor_tokens (
  token_hash bytea       PRIMARY KEY,
  donor_id   uuid        NOT NULL REFERENCES donations.donors (donor_id),
  issued_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE donations.campaigns (
  campaign_id     uuid        PRIMARY KEY,
  title           text        NOT NULL,
  description     text        NOT NULL DEFAULT '',
  goal_base_minor bigint      NOT NULL CHECK (goal_base_minor > 0),
  starts_at       timestamptz,
  ends_at         timestamptz,
  created_at      timestamptz NOT NULL,
  CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);

-- The ledger. Amounts in minor units; reversals negative and linked to their payment.
CREATE TABLE donations.ledger (
  seq               bigserial   UNIQUE,
  entry_id          uuid        PRIMARY KEY,
  at                timestamptz NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  kind              text        NOT NULL
                    CHECK (kind IN ('one_off', 'recurring', 'refund', 'chargeback')),
  amount_minor      bigint      NOT NULL,
  currency          char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  rate_to_base      text        NOT NULL CHECK (rate_to_base ~ '^[0-9]+(\.[0-9]+)?$'),
  base_amount_minor bigint      NOT NULL,
  campaign_id       uuid,
  pledge_id         text,
  donor_id          uuid        REFERENCES donations.donors (donor_id),
  reverses_entry_id uuid        REFERENCES donations.ledger (entry_id),
  provider          text        NOT NULL,
  provider_event_id text        NOT NULL,
  payment_ref       text        NOT NULL,
  CHECK ((kind IN ('one_off', 'recurring')) = (reverses_entry_id IS NULL)),
  CHECK (kind IN ('refund', 'chargeback') OR (amount_minor > 0 AND base_amount_minor >= 0)),
  CHECK (kind IN ('one_off', 'recurring') OR (amount_minor < 0 AND base_amount_minor <= 0)),
  CHECK ((kind = 'recurring') <= (pledge_id IS NOT NULL)),
  UNIQUE (provider, provider_event_id)
);
CREATE UNIQUE INDEX ledger_one_payment_per_ref ON donations.ledger (provider, payment_ref)
  WHERE kind IN ('one_off', 'recurring');
CREATE INDEX ledger_at ON donations.ledger (at, seq);
CREATE INDEX ledger_reverses ON donations.ledger (reverses_entry_id) WHERE reverses_entry_id IS NOT NULL;
CREATE INDEX ledger_donor ON donations.ledger (donor_id) WHERE donor_id IS NOT NULL;
CREATE INDEX ledger_campaign ON donations.ledger (campaign_id) WHERE campaign_id IS NOT NULL;

CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON donations.ledger
  FOR EACH ROW EXECUTE FUNCTION donations.refuse_ledger_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON donations.ledger
  FOR EACH STATEMENT EXECUTE FUNCTION donations.refuse_ledger_change();
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON donations.events
  FOR EACH ROW EXECUTE FUNCTION donations.refuse_ledger_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON donations.events
  FOR EACH STATEMENT EXECUTE FUNCTION donations.refuse_ledger_change();

-- Refunds/disputes that arrived before their payment (removed once applied).
CREATE TABLE donations.parked_reversals (
  provider     text        NOT NULL,
  event_id     text        NOT NULL,
  payment_ref  text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('refund', 'dispute')),
  amount_minor bigint      NOT NULL CHECK (amount_minor >= 0),
  currency     char(3)     NOT NULL,
  occurred_at  timestamptz NOT NULL,
  parked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);
CREATE INDEX parked_by_payment ON donations.parked_reversals (provider, payment_ref);

-- Unknown event kinds, acknowledged and kept for a human.
CREATE TABLE donations.review_events (
  provider    text        NOT NULL,
  event_id    text        NOT NULL,
  type        text        NOT NULL,
  raw_body    bytea       NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- Rejected deliveries (malformed bodies, refused rules).
CREATE TABLE donations.dead_letters (
  id          bigserial   PRIMARY KEY,
  provider    text        NOT NULL,
  event_id    text,
  reason      text        NOT NULL,
  raw_body    bytea       NOT NULL,
  received_at timestamptz NOT NULL
);

CREATE TABLE donations.exchange_rates (
  currency       char(3)     NOT NULL,
  effective_from timestamptz NOT NULL,
  rate_to_base   text        NOT NULL CHECK (rate_to_base ~ '^[0-9]+(\.[0-9]+)?$'),
  PRIMARY KEY (currency, effective_from)
);

CREATE TABLE donations.pledges (
  provider       text        NOT NULL,
  pledge_id      text        NOT NULL,
  amount_minor   bigint      NOT NULL CHECK (amount_minor >= 0),
  currency       char(3)     NOT NULL,
  interval       text        NOT NULL CHECK (interval IN ('day', 'week', 'month', 'year')),
  interval_count integer     NOT NULL CHECK (interval_count >= 1),
  campaign_id    uuid,
  created_at     timestamptz NOT NULL,
  cancelled_at   timestamptz,
  seq            bigserial,
  PRIMARY KEY (provider, pledge_id)
);

-- Comments edited after release (checksums of the earlier texts):
-- freehold:previous-checksum 1dccbb61e910ba3c9671092937715e26717fc4e3cd93e51606f7c9e9dd9305c9
