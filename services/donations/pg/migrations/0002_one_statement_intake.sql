-- One-statement intake (services/donations/README.md, "Throughput"): the common webhook
-- events -- payments, and events that only need their idempotency record -- applied
-- server side, a group-commit batch per statement, so a batch costs one transaction
-- and one round trip. This is LedgerRules::ApplyPayment (core/ledger_rules.cc) for the
-- cases that need no C++ decision, with the same locks and the same statements; any
-- other case answers 'transaction' with nothing of that event written, and the
-- service applies it with the C++ rules in a transaction of its own.
-- tests/donations/one_statement_intake_pg_test.cc checks that both paths agree.

-- base = amount * rate * 10^(base_digits - digits), rounded half to even, exactly as
-- ConvertToBase (core/exchange_rate.cc). NULL (the caller falls back to C++) if the
-- rate text is not what DecimalRate::ToString writes, or the amount or the result is
-- out of range.
CREATE FUNCTION donations.to_base_minor(p_amount bigint, p_digits integer, p_rate text,
                                        p_base_digits integer)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  v_scale integer;
  v_num numeric;
  v_den numeric;
  v_q numeric;
  v_r numeric;
BEGIN
  IF p_rate !~ '^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$' THEN
    RETURN NULL;
  END IF;
  v_scale := length(split_part(p_rate, '.', 2));
  IF v_scale > 18 OR length(ltrim(replace(p_rate, '.', ''), '0')) NOT BETWEEN 1 AND 18
     OR abs(p_amount) > 1000000000000 THEN
    RETURN NULL;
  END IF;
  v_num := abs(p_amount)::numeric * replace(p_rate, '.', '')::numeric
           * (10::numeric ^ greatest(p_base_digits - p_digits, 0));
  v_den := 10::numeric ^ (v_scale + greatest(p_digits - p_base_digits, 0));
  v_q := div(v_num, v_den);
  v_r := v_num - v_q * v_den;
  IF 2 * v_r > v_den OR (2 * v_r = v_den AND mod(v_q, 2) = 1) THEN
    v_q := v_q + 1;
  END IF;
  IF v_q > 9223372036854775807 THEN
    RETURN NULL;
  END IF;
  IF p_amount < 0 THEN
    v_q := -v_q;
  END IF;
  RETURN v_q::bigint;
END;
$$;

-- Applies one event of intake_fast's array (keys: pg/pg_one_statement_intake.cc
-- EventJson). No exception handling of its own: the caller runs it inside a
-- subtransaction. Returns, without writing anything, 'transaction' when no usable rate
-- applies; raises FH001 when parked reversals wait for the payment (the C++ rules
-- apply those), so the caller's subtransaction undoes the claim.
CREATE FUNCTION donations.intake_one(ev jsonb, OUT o_result text, OUT o_donor_id text,
                                     OUT o_rate text, OUT o_base bigint, OUT o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
  v_provider text := ev ->> 'provider';
  v_ref text := ev ->> 'payment_ref';
  v_at timestamptz := (ev ->> 'occurred_at')::timestamptz;
  v_claim_only boolean := (ev ->> 'claim_only')::boolean;
  v_amount bigint;
  v_claimed integer;
  v_paid boolean;
  v_parked boolean;
  v_donor uuid;
  v_key text;
BEGIN
  IF NOT v_claim_only THEN
    -- Read-only work first: an event sent back from here has written nothing.
    v_amount := (ev ->> 'amount_minor')::bigint;
    IF (ev ->> 'base_currency')::boolean THEN
      o_rate := '1';  -- same currency, same digits
      o_base := v_amount;
    ELSE
      SELECT r.rate_to_base INTO o_rate
        FROM donations.exchange_rates r
       WHERE r.currency = ev ->> 'currency' AND r.effective_from <= v_at
       ORDER BY r.effective_from DESC
       LIMIT 1;
      o_base := donations.to_base_minor(v_amount, (ev ->> 'digits')::integer, o_rate,
                                        (ev ->> 'base_digits')::integer);
      IF o_base IS NULL THEN
        o_result := 'transaction';
        o_rate := NULL;
        o_detail := 'no usable exchange rate';
        RETURN;
      END IF;
    END IF;
    -- The idempotency claim (concurrent claims of one id wait for the first) and, once
    -- claimed, the payment's lock: one statement, as PgLedgerTxn::ClaimEvent.
    WITH claimed AS (
      INSERT INTO donations.events (provider, event_id, type, kind, occurred_at)
      VALUES (v_provider, ev ->> 'event_id', ev ->> 'type', ev ->> 'kind', v_at)
      ON CONFLICT DO NOTHING
      RETURNING 1)
    SELECT 1 INTO v_claimed
      FROM claimed,
           LATERAL pg_advisory_xact_lock(hashtextextended('payment:' || v_provider || ':' || v_ref,
                                                          7601));
  ELSE
    INSERT INTO donations.events (provider, event_id, type, kind, occurred_at)
    VALUES (v_provider, ev ->> 'event_id', ev ->> 'type', ev ->> 'kind', v_at)
    ON CONFLICT DO NOTHING;
  END IF;
  IF NOT FOUND THEN
    o_result := 'duplicate';
    o_rate := NULL;
    o_base := NULL;
    RETURN;
  END IF;
  IF v_claim_only THEN
    o_result := 'claimed';
    RETURN;
  END IF;

  -- Under the payment lock, with a fresh snapshot: recorded already? parked reversals?
  SELECT EXISTS (SELECT 1 FROM donations.ledger l
                  WHERE l.provider = v_provider AND l.payment_ref = v_ref
                    AND l.kind IN ('one_off', 'recurring')),
         EXISTS (SELECT 1 FROM donations.parked_reversals p
                  WHERE p.provider = v_provider AND p.payment_ref = v_ref)
    INTO v_paid, v_parked;
  IF v_paid THEN
    o_result := 'claimed';  -- reported by another event type already
    o_rate := NULL;
    o_base := NULL;
    RETURN;
  END IF;
  IF v_parked THEN
    RAISE EXCEPTION 'parked reversals wait for this payment' USING ERRCODE = 'FH001';
  END IF;

  IF ev ->> 'donor_by' <> '' THEN
    -- As PgLedgerTxn::ResolveDonor.
    v_key := ev ->> 'donor_key';
    PERFORM pg_advisory_xact_lock(hashtextextended('donor:' || v_provider || ':' || v_key, 7601));
    IF ev ->> 'donor_by' = 'customer' THEN
      SELECT p.donor_id INTO v_donor
        FROM donations.donor_personal p
       WHERE p.provider = v_provider AND p.customer_ref = v_key;
    ELSE
      SELECT p.donor_id INTO v_donor
        FROM donations.donor_personal p
       WHERE p.provider = v_provider AND p.email = v_key
       ORDER BY p.donor_id
       LIMIT 1;
    END IF;
    IF v_donor IS NULL THEN
      v_donor := (ev ->> 'new_donor_id')::uuid;
      INSERT INTO donations.donors (donor_id) VALUES (v_donor);
      INSERT INTO donations.donor_personal (donor_id, provider, customer_ref, name, email)
      VALUES (v_donor, v_provider, NULLIF(ev ->> 'customer_ref', ''), NULLIF(ev ->> 'name', ''),
              NULLIF(ev ->> 'email', ''));
    END IF;
    INSERT INTO donations.donor_tokens (token_hash, donor_id)
    VALUES (decode(ev ->> 'token_hash', 'hex'), v_donor);
  END IF;

  INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, currency, rate_to_base,
                                base_amount_minor, campaign_id, pledge_id, donor_id,
                                reverses_entry_id, provider, provider_event_id, payment_ref)
  VALUES ((ev ->> 'entry_id')::uuid, v_at, ev ->> 'entry_kind', v_amount, ev ->> 'currency',
          o_rate, o_base, NULLIF(ev ->> 'campaign_id', '')::uuid, NULLIF(ev ->> 'pledge_id', ''),
          v_donor, NULL, v_provider, ev ->> 'event_id', v_ref);
  o_result := 'recorded';
  o_donor_id := v_donor::text;
END;
$$;

-- Applies a JSON array of events, each atomically and independently, and answers one
-- row per event (o_ord = its position in the array):
--   duplicate    the event id was seen before; nothing written
--   claimed      recorded as seen, no entry (claim only, or payment already recorded)
--   recorded     recorded as seen and the payment appended (o_donor_id, o_rate, o_base)
--   transaction  nothing of it written; o_detail says why (parked reversals wait for
--                this payment, no usable exchange rate, or the error it met)
-- The whole array is first tried in one subtransaction (cheap: the common case). If
-- any event raises, that attempt is undone, locks included, and the array is redone
-- event by event, each in its own subtransaction, so the failing one leaves nothing
-- behind and the others are applied.
CREATE FUNCTION donations.intake_fast(p_events jsonb)
RETURNS TABLE (o_ord integer, o_result text, o_donor_id text, o_rate text, o_base bigint,
               o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
  n integer := coalesce(jsonb_array_length(p_events), 0);
  v_one record;
  v_results text[] := '{}';
  v_donors text[] := '{}';
  v_rates text[] := '{}';
  v_bases bigint[] := '{}';
  v_details text[] := '{}';
BEGIN
  BEGIN
    FOR i IN 1 .. n LOOP
      v_one := donations.intake_one(p_events -> (i - 1));
      v_results[i] := v_one.o_result;
      v_donors[i] := v_one.o_donor_id;
      v_rates[i] := v_one.o_rate;
      v_bases[i] := v_one.o_base;
      v_details[i] := v_one.o_detail;
    END LOOP;
  EXCEPTION WHEN OTHERS THEN
    FOR i IN 1 .. n LOOP
      BEGIN
        v_one := donations.intake_one(p_events -> (i - 1));
        v_results[i] := v_one.o_result;
        v_donors[i] := v_one.o_donor_id;
        v_rates[i] := v_one.o_rate;
        v_bases[i] := v_one.o_base;
        v_details[i] := v_one.o_detail;
      EXCEPTION WHEN OTHERS THEN
        v_results[i] := 'transaction';
        v_donors[i] := NULL;
        v_rates[i] := NULL;
        v_bases[i] := NULL;
        v_details[i] := SQLSTATE || ' ' || SQLERRM;
      END;
    END LOOP;
  END;
  FOR i IN 1 .. n LOOP
    o_ord := i - 1;
    o_result := v_results[i];
    o_donor_id := v_donors[i];
    o_rate := v_rates[i];
    o_base := v_bases[i];
    o_detail := v_details[i];
    RETURN NEXT;
  END LOOP;
END;
$$;
