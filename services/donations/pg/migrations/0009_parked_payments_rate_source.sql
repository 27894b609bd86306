-- Payments that arrive in a currency without an exchange rate, and where a rate came
-- from (services/donations/README.md "Exchange rates").
--
-- A payment whose currency has no rate at its time is not a dead letter any more: the
-- delivery is answered "parked" and kept whole here (its event is not claimed, nothing
-- of it is in the ledger); once rates arrive the service replays it through the intake
-- (WebhookIntake::ReplayParkedPayments) and removes the row. raw_body holds what Stripe
-- sent, as dead letters do.
CREATE TABLE donations.parked_payments (
  provider    text        NOT NULL,
  event_id    text        NOT NULL,
  currency    char(3)     NOT NULL,
  occurred_at timestamptz NOT NULL,
  reason      text        NOT NULL,
  raw_body    bytea       NOT NULL,
  parked_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);
CREATE INDEX parked_payments_by_age ON donations.parked_payments (parked_at);
GRANT SELECT, INSERT, DELETE ON donations.parked_payments TO freehold_donations_app;

-- 'file': loaded from the ECB reference rates file (--ecb-rates); 'manual': set by an
-- operator (SetExchangeRates, --exchange-rates). A file row never replaces a manual row
-- for the same currency and instant; a manual row replaces anything.
ALTER TABLE donations.exchange_rates
  ADD COLUMN source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'file'));
