-- Array intake (services/donations/README.md, "Throughput"): the common group-commit
-- batch -- payments and claim-only events without an identified donor -- in three
-- statements per batch, taking its events as parallel arrays instead of one jsonb.
-- 0003's intake_fast spent most of its time (about 500 us of backend CPU for a batch of
-- one, against about 150 us for its two INSERTs) outside the INSERTs: jsonb_path_exists,
-- a jsonb lookup per field and per event, loops over the events and a subtransaction.
-- Here, with the same locks in the same order and the same answers:
--   1. (only if a payment is not in the base currency) the rate-table rule per event
--      and the exact half-even base amount, read-only;
--   2. claim every usable event id (INSERT ... ON CONFLICT DO NOTHING, in array order,
--      which is (provider, payment_ref, event id) order), then, in the same statement,
--      the claimed payments' advisory locks in array order (a volatile target list is
--      evaluated after ORDER BY);
--   3. under those locks, with this statement's fresh snapshot: raise FH001 if
--      reversals are parked for one of the payments, else append the payments (ON
--      CONFLICT on ledger_one_payment_per_ref DO NOTHING: a payment recorded already
--      by another event type stays 'claimed').
-- No subtransaction: the function is called as one autocommit statement, so anything
-- that raises (FH001, a CHECK, a repeated id) undoes the whole batch, locks included,
-- and the caller (pg/pg_one_statement_intake.cc) applies the batch with 0003's
-- intake_fast instead, which handles each event on its own.
--
-- Arrays, all of one length n, element i describing event i (o_ord i - 1):
--   provider, event_id, type, kind, occurred_at, payment_ref, claim_only;
--   for payments (ignored for claim-only events): entry_id, entry_kind, amount_minor,
--   currency, campaign_id (NULL for none), pledge_id (NULL for none), digits,
--   base_digits, and rate_to_base / base_amount_minor: given (the base currency: '1'
--   and the amount) or NULL (looked up here as intake_one does; no usable rate answers
--   'transaction' with nothing written).
-- Answers one row: o_results, one letter per event (d duplicate, c claimed, r recorded,
-- t transaction: nothing written, no usable exchange rate), and the rate and base
-- amount of every event (meaningful where recorded).
CREATE FUNCTION donations.intake_arrays(
  p_provider text[], p_event_id text[], p_type text[], p_kind text[],
  p_occurred_at timestamptz[], p_payment_ref text[], p_claim_only boolean[],
  p_entry_id uuid[], p_entry_kind text[], p_amount_minor bigint[], p_currency text[],
  p_campaign_id uuid[], p_pledge_id text[], p_digits integer[], p_base_digits integer[],
  p_rate text[], p_base bigint[], OUT o_results text, OUT o_rates text[], OUT o_bases bigint[])
LANGUAGE plpgsql
-- The statements' custom plans (re-planned on every call) cost more than running them.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  n integer := coalesce(cardinality(p_event_id), 0);
  v_claimed integer[];   -- positions (1-based) claimed by this batch
  v_pays integer[];      -- claimed payments, now locked
  v_claims bigint;       -- rows inserted into donations.events
  v_parked boolean;
  v_recorded text[];     -- provider || E'\n' || event id of each payment appended
  v_rate text;
BEGIN
  o_rates := p_rate;
  o_bases := p_base;
  o_results := '';
  IF n = 0 THEN
    RETURN;
  END IF;
  -- Simple expressions (no executor start-up) where possible.
  IF cardinality(p_provider) <> n OR cardinality(p_type) <> n OR cardinality(p_kind) <> n
     OR cardinality(p_occurred_at) <> n OR cardinality(p_payment_ref) <> n
     OR cardinality(p_claim_only) <> n OR cardinality(p_entry_id) <> n
     OR cardinality(p_entry_kind) <> n OR cardinality(p_amount_minor) <> n
     OR cardinality(p_currency) <> n OR cardinality(p_campaign_id) <> n
     OR cardinality(p_pledge_id) <> n OR cardinality(p_digits) <> n
     OR cardinality(p_base_digits) <> n OR cardinality(p_rate) <> n
     OR cardinality(p_base) <> n OR array_position(p_claim_only, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'donations.intake_arrays: arrays of different lengths or a NULL claim_only'
      USING ERRCODE = 'FH003';
  END IF;

  -- 1. Read-only: the rate table rule where a payment has no rate given (as intake_one).
  FOR i IN 1 .. n LOOP
    IF NOT p_claim_only[i] AND p_base[i] IS NULL THEN
      v_rate := NULL;
      SELECT x.rate_to_base INTO v_rate
        FROM donations.exchange_rates x
       WHERE x.currency = p_currency[i] AND x.effective_from <= p_occurred_at[i]
       ORDER BY x.effective_from DESC
       LIMIT 1;
      o_rates[i] := v_rate;
      o_bases[i] := donations.to_base_minor(p_amount_minor[i], p_digits[i], v_rate,
                                            p_base_digits[i]);
    END IF;
  END LOOP;

  -- 2. Claim every usable id in array order, then lock the claimed payments in order.
  WITH claimed AS (
    INSERT INTO donations.events (provider, event_id, type, kind, occurred_at)
    SELECT p_provider[i], p_event_id[i], p_type[i], p_kind[i], p_occurred_at[i]
      FROM generate_series(1, n) AS i
     WHERE p_claim_only[i] OR o_bases[i] IS NOT NULL
     ORDER BY i
    ON CONFLICT DO NOTHING
    RETURNING provider, event_id),
  locked AS (
    SELECT i, CASE WHEN p_claim_only[i] THEN NULL
                   ELSE pg_advisory_xact_lock(hashtextextended(
                          'payment:' || p_provider[i] || ':' || p_payment_ref[i], 7601)) END
      FROM claimed k
      JOIN generate_series(1, n) AS i ON p_provider[i] = k.provider AND p_event_id[i] = k.event_id
     ORDER BY i)
  SELECT coalesce(array_agg(l.i ORDER BY l.i), '{}'),
         coalesce(array_agg(l.i ORDER BY l.i) FILTER (WHERE NOT p_claim_only[l.i]), '{}'),
         (SELECT count(*) FROM claimed)
    INTO v_claimed, v_pays, v_claims
    FROM locked l;
  IF v_claims <> cardinality(v_claimed) THEN
    RAISE EXCEPTION 'donations.intake_arrays: an event id appears twice' USING ERRCODE = 'FH002';
  END IF;

  -- 3. Under the payment locks, with this statement's fresh snapshot.
  IF cardinality(v_pays) > 0 THEN
    WITH ins AS (
      INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, currency, rate_to_base,
                                    base_amount_minor, campaign_id, pledge_id, donor_id,
                                    reverses_entry_id, provider, provider_event_id,
                                    payment_ref)
      SELECT p_entry_id[i], p_occurred_at[i], p_entry_kind[i], p_amount_minor[i],
             p_currency[i], o_rates[i], o_bases[i], p_campaign_id[i], p_pledge_id[i], NULL,
             NULL, p_provider[i], p_event_id[i], p_payment_ref[i]
        FROM unnest(v_pays) AS i
       WHERE NOT EXISTS (SELECT 1 FROM unnest(v_pays) AS j
                           JOIN donations.parked_reversals pr
                             ON pr.provider = p_provider[j] AND pr.payment_ref = p_payment_ref[j])
       ORDER BY i
      ON CONFLICT (provider, payment_ref) WHERE kind IN ('one_off', 'recurring') DO NOTHING
      RETURNING provider || E'\n' || provider_event_id AS id)
    SELECT EXISTS (SELECT 1 FROM unnest(v_pays) AS j
                     JOIN donations.parked_reversals pr
                       ON pr.provider = p_provider[j] AND pr.payment_ref = p_payment_ref[j]),
           (SELECT coalesce(array_agg(id), '{}') FROM ins)
      INTO v_parked, v_recorded;
    IF v_parked THEN
      RAISE EXCEPTION 'parked reversals wait for a payment of this batch' USING ERRCODE = 'FH001';
    END IF;
  END IF;

  FOR i IN 1 .. n LOOP
    o_results := o_results || CASE
      WHEN NOT (i = ANY (v_claimed)) THEN
        CASE WHEN p_claim_only[i] OR o_bases[i] IS NOT NULL THEN 'd' ELSE 't' END
      WHEN NOT p_claim_only[i] AND p_provider[i] || E'\n' || p_event_id[i] = ANY (v_recorded) THEN 'r'
      ELSE 'c' END;
  END LOOP;
END;
$$;
