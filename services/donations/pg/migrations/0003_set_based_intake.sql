-- Set-based one-statement intake (services/donations/README.md, "Throughput").
-- Migration 0002's intake_fast applies a batch event by event: about five statements
-- per event, each with its own executor start-up (constraint expressions re-read,
-- indexes opened, locks taken), which made one event cost PostgreSQL about four
-- single-row INSERTs. Here the common batch -- payments and claim-only events without
-- an identified donor -- is applied with a fixed number of statements per batch:
--   1. price (rate and exact base amount, read-only), claim every event id once
--      (INSERT ... ON CONFLICT DO NOTHING, in batch order), then take the claimed
--      payments' advisory locks in (provider, payment_ref) order;
--   2. under those locks, with a fresh snapshot: refuse the set-based path if
--      reversals are parked for one of its payments (the C++ rules apply those);
--   3. append the payments (ON CONFLICT on ledger_one_payment_per_ref DO NOTHING: a
--      payment already recorded by another event type, or earlier in this batch, is
--      'claimed' without an entry).
-- Same locks in the same order as PgLedgerTxn and 0002's intake_one (claim first, then
-- the payment lock; batches arrive sorted by provider, payment_ref, event id), same
-- answers. Anything else -- a batch with an identified donor, or any error in the
-- set-based statements (they run in one subtransaction, so nothing of them remains) --
-- goes through 0002's per-event functions, now donations.intake_rows.

-- 0002's intake_fast, kept as the per-event path. p_whole_first: first try the whole
-- array in one subtransaction (cheap when nothing fails), else go straight to one
-- subtransaction per event.
CREATE FUNCTION donations.intake_rows(p_events jsonb, p_whole_first boolean)
RETURNS TABLE (o_ord integer, o_result text, o_donor_id text, o_rate text, o_base bigint,
               o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
  n integer := coalesce(jsonb_array_length(p_events), 0);
  v_one record;
  v_done boolean := false;
  v_results text[] := '{}';
  v_donors text[] := '{}';
  v_rates text[] := '{}';
  v_bases bigint[] := '{}';
  v_details text[] := '{}';
BEGIN
  IF p_whole_first THEN
    BEGIN
      FOR i IN 1 .. n LOOP
        v_one := donations.intake_one(p_events -> (i - 1));
        v_results[i] := v_one.o_result;
        v_donors[i] := v_one.o_donor_id;
        v_rates[i] := v_one.o_rate;
        v_bases[i] := v_one.o_base;
        v_details[i] := v_one.o_detail;
      END LOOP;
      v_done := true;
    EXCEPTION WHEN OTHERS THEN
      v_done := false;
    END;
  END IF;
  IF NOT v_done THEN
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
  END IF;
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

-- Same contract as 0002's intake_fast (one row per event, o_ord its position). Each
-- id must appear once in the array (the store removes repeated deliveries first); an
-- array with an id twice goes through intake_rows.
CREATE OR REPLACE FUNCTION donations.intake_fast(p_events jsonb)
RETURNS TABLE (o_ord integer, o_result text, o_donor_id text, o_rate text, o_base bigint,
               o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
  v_lookup text[];       -- exchange rate per event, when some event needs one
  v_results text[];
  v_rates text[];
  v_bases bigint[];
  v_pay_ords integer[];  -- claimed payments, now locked
  v_claimed text[];
  v_parked boolean;
  v_recorded text[];     -- event ids whose payment was appended
BEGIN
  -- Simple expressions (no executor start-up): the set-based path takes arrays of
  -- objects without identified donors.
  IF jsonb_typeof(p_events) IS DISTINCT FROM 'array'
     OR jsonb_path_exists(p_events, '$[*] ? (@.type() != "object" || @.donor_by != "")') THEN
    RETURN QUERY SELECT * FROM donations.intake_rows(p_events, true);
    RETURN;
  END IF;
  n := jsonb_array_length(p_events);
  IF jsonb_path_exists(p_events, '$[*] ? (@.claim_only == false && @.base_currency == false)') THEN
    -- Read-only: the rate table rule per event (as intake_one).
    SELECT array_agg(r.rate ORDER BY e.ord) INTO v_lookup
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(j, ord)
      LEFT JOIN LATERAL (
        SELECT x.rate_to_base AS rate FROM donations.exchange_rates x
         WHERE x.currency = e.j ->> 'currency'
           AND x.effective_from <= (e.j ->> 'occurred_at')::timestamptz
         ORDER BY x.effective_from DESC LIMIT 1) r ON true;
  END IF;
  v_rates := '{}';
  v_bases := '{}';
  v_results := '{}';
  FOR i IN 1 .. n LOOP
    -- Simple expressions (no executor): each payment's rate and exact base amount.
    IF (p_events -> (i - 1) ->> 'claim_only')::boolean THEN
      v_rates[i] := NULL;
      v_bases[i] := NULL;
      v_results[i] := NULL;
    ELSE
      IF (p_events -> (i - 1) ->> 'base_currency')::boolean THEN
        v_rates[i] := '1';
        v_bases[i] := (p_events -> (i - 1) ->> 'amount_minor')::bigint;
      ELSE
        v_rates[i] := v_lookup[i];
        v_bases[i] := donations.to_base_minor((p_events -> (i - 1) ->> 'amount_minor')::bigint,
                                              (p_events -> (i - 1) ->> 'digits')::integer,
                                              v_lookup[i],
                                              (p_events -> (i - 1) ->> 'base_digits')::integer);
      END IF;
      -- a payment without a usable rate goes to the C++ rules, unclaimed
      v_results[i] := CASE WHEN v_bases[i] IS NULL THEN 'transaction' END;
    END IF;
  END LOOP;
  BEGIN
    -- 1. Claim every id in array order (by payment, then id).
    WITH claimed AS (
      INSERT INTO donations.events (provider, event_id, type, kind, occurred_at)
      SELECT e.j ->> 'provider', e.j ->> 'event_id', e.j ->> 'type', e.j ->> 'kind',
             (e.j ->> 'occurred_at')::timestamptz
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(j, ord)
       WHERE v_results[e.ord::integer] IS NULL
      ON CONFLICT DO NOTHING
      RETURNING event_id)
    SELECT coalesce(array_agg(c.event_id), '{}') INTO v_claimed FROM claimed c;
    -- 2. Then the claimed payments' locks, in the same order.
    v_pay_ords := '{}';
    FOR i IN 1 .. n LOOP
      IF v_results[i] IS NULL THEN
        IF (p_events -> (i - 1) ->> 'event_id') = ANY (v_claimed) THEN
          v_results[i] := 'claimed';
          IF NOT (p_events -> (i - 1) ->> 'claim_only')::boolean THEN
            PERFORM pg_advisory_xact_lock(hashtextextended(
              'payment:' || (p_events -> (i - 1) ->> 'provider') || ':'
                || (p_events -> (i - 1) ->> 'payment_ref'), 7601));
            v_pay_ords := v_pay_ords || (i - 1);
          END IF;
        ELSE
          v_results[i] := 'duplicate';
        END IF;
      END IF;
    END LOOP;
    IF cardinality(v_claimed) <> cardinality(array_positions(v_results, 'claimed')) THEN
      RAISE EXCEPTION 'an event id appears twice in the batch' USING ERRCODE = 'FH002';
    END IF;

    v_recorded := '{}';
    IF cardinality(v_pay_ords) > 0 THEN
      -- 3. Under the payment locks, with this statement's fresh snapshot: nothing is
      -- appended if reversals are parked for one of the payments; else append, and a
      -- payment recorded already (by another event type) stays 'claimed'.
      WITH pay AS (
        SELECT e.ord::integer AS ord, e.j
          FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(j, ord)
         WHERE (e.ord - 1)::integer = ANY (v_pay_ords)
      ), parked AS (
        SELECT EXISTS (SELECT 1 FROM pay p JOIN donations.parked_reversals pr
                          ON pr.provider = p.j ->> 'provider'
                         AND pr.payment_ref = p.j ->> 'payment_ref') AS waiting
      ), ins AS (
        INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, currency, rate_to_base,
                                      base_amount_minor, campaign_id, pledge_id, donor_id,
                                      reverses_entry_id, provider, provider_event_id,
                                      payment_ref)
        SELECT (p.j ->> 'entry_id')::uuid, (p.j ->> 'occurred_at')::timestamptz,
               p.j ->> 'entry_kind', (p.j ->> 'amount_minor')::bigint, p.j ->> 'currency',
               v_rates[p.ord], v_bases[p.ord], NULLIF(p.j ->> 'campaign_id', '')::uuid,
               NULLIF(p.j ->> 'pledge_id', ''), NULL, NULL, p.j ->> 'provider',
               p.j ->> 'event_id', p.j ->> 'payment_ref'
          FROM pay p
         WHERE NOT (SELECT waiting FROM parked)
         ORDER BY p.ord
        ON CONFLICT (provider, payment_ref) WHERE kind IN ('one_off', 'recurring') DO NOTHING
        RETURNING provider_event_id)
      SELECT (SELECT waiting FROM parked), (SELECT coalesce(array_agg(provider_event_id), '{}') FROM ins)
        INTO v_parked, v_recorded;
      IF v_parked THEN
        RAISE EXCEPTION 'parked reversals wait for a payment of this batch' USING ERRCODE = 'FH001';
      END IF;
    END IF;
  EXCEPTION WHEN OTHERS THEN
    -- Nothing of the set-based attempt remains (claims and locks included).
    RETURN QUERY SELECT * FROM donations.intake_rows(p_events, false);
    RETURN;
  END;
  FOR i IN 1 .. n LOOP
    o_ord := i - 1;
    o_donor_id := NULL;
    IF (p_events -> (i - 1) ->> 'event_id') = ANY (v_recorded) THEN
      o_result := 'recorded';
      o_rate := v_rates[i];
      o_base := v_bases[i];
    ELSE
      o_result := v_results[i];
      o_rate := NULL;
      o_base := NULL;
    END IF;
    o_detail := CASE WHEN v_results[i] = 'transaction' THEN 'no usable exchange rate' END;
    RETURN NEXT;
  END LOOP;
END;
$$;
