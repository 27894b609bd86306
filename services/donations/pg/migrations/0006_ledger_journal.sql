-- The payment journal (services/donations/README.md, "Throughput"): a webhook payment
-- without an identified donor is recorded by ONE row in donations.events -- its
-- idempotency record, now carrying the complete ledger entry -- and the ledger entry is
-- copied from it shortly after, in large batches, by donations.project_ledger.
-- The webhook is answered once that one row is committed: the event is then durable,
-- recorded exactly once, and its ledger entry is decided (amount, rate, base amount,
-- entry id); only the copy into donations.ledger is deferred. Every reader of the
-- ledger (the read side, the transaction path of refunds, disputes and identified
-- donors) first runs the projection, which copies every journal row its snapshot sees,
-- so what it reads includes every payment committed before it started (the ledger's
-- rules in docs/ARCHITECTURE.md#11-donations are unchanged: it stays append-only, one
-- entry per payment, reversals linked to it).
--
-- Which journal rows are copied: every row it sees with ledger_xid (the inserting
-- transaction's id) >= the cursor whose event is not in the ledger yet (the ledger's
-- UNIQUE (provider, provider_event_id) finds those; ON CONFLICT makes a second copy
-- impossible anyway). The cursor only bounds that scan: a snapshot's xmin is the
-- oldest transaction still running, so every row with ledger_xid below it is final
-- (visible if committed) and, once copied, never needs looking at again; the cursor
-- moves to xmin when every visible row above the cursor is copied. A transaction held
-- open for long (anywhere in the cluster) keeps the cursor back and makes each copy
-- rescan the journal written since it began; it never hides a committed payment.
--
-- Concurrency with the transaction path: a projection holds advisory lock (7602, 1)
-- exclusively; every intake transaction that claims a payment or a reversal through
-- the C++ rules holds it shared (pg_intake_store.cc, dn_claim_event / dn_lock) before
-- reading the ledger. So a reversal either sees the payment's entry or parks, and a
-- projection sees every reversal parked before it: a payment with parked reversals is
-- not copied here but handed back (the function's rows) to the C++ ledger rules, in the
-- same transaction. Copies go in (provider, payment_ref) order, as intake_fast's
-- batches do, so the two do not deadlock on the ledger's payment index.
-- (Rolling out: stop the binaries of before this migration first; they do not take
-- the shared lock.)

-- True if a journal row's entry is complete and obeys the ledger's entry rules.
CREATE FUNCTION donations.journal_entry_valid(p_payment_ref text, p_entry_id uuid,
                                              p_entry_kind text, p_amount_minor bigint,
                                              p_base_amount_minor bigint, p_currency char(3),
                                              p_rate_to_base text, p_pledge_id text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN p_payment_ref IS NOT NULL AND p_entry_id IS NOT NULL
     AND p_entry_kind IN ('one_off', 'recurring')
     AND p_amount_minor IS NOT NULL AND p_base_amount_minor IS NOT NULL
     AND p_currency IS NOT NULL AND p_rate_to_base IS NOT NULL
     AND donations.ledger_entry_valid(p_entry_kind, p_amount_minor, p_base_amount_minor,
                                      p_currency, p_rate_to_base, NULL, p_pledge_id);
END;
$$;

ALTER TABLE donations.events
  ADD COLUMN payment_ref       text,
  ADD COLUMN entry_id          uuid,
  ADD COLUMN entry_kind        text,
  ADD COLUMN amount_minor      bigint,
  ADD COLUMN currency          char(3),
  ADD COLUMN rate_to_base      text,
  ADD COLUMN base_amount_minor bigint,
  ADD COLUMN campaign_id       uuid,
  ADD COLUMN pledge_id         text,
  ADD COLUMN ledger_xid        xid8,
  -- A journal row is a complete payment entry that the ledger accepts (the ledger's
  -- own row rule, migration 0005), so copying it can never fail: a row the ledger
  -- would refuse is refused here, before the webhook is answered. (One function call:
  -- PostgreSQL rebuilds a CHECK expression for every INSERT statement.)
  ADD CONSTRAINT events_journal_entry CHECK (
    ledger_xid IS NULL OR donations.journal_entry_valid(payment_ref, entry_id, entry_kind,
      amount_minor, base_amount_minor, currency, rate_to_base, pledge_id));
CREATE INDEX events_journal ON donations.events (ledger_xid) WHERE ledger_xid IS NOT NULL;

-- The projection cursor: every journal row with ledger_xid < upto is in the ledger (or
-- needs no entry: its payment was recorded by another event).
CREATE TABLE donations.ledger_projection (
  one  boolean PRIMARY KEY DEFAULT true CHECK (one),
  upto xid8    NOT NULL
);
INSERT INTO donations.ledger_projection (upto) VALUES (pg_current_xact_id());

-- Journaled payments not in the ledger yet: what the next copy takes (its lag metric,
-- its "anything to do?" check, benchmarks).
CREATE VIEW donations.ledger_journal_waiting AS
SELECT e.*
  FROM donations.events e
 WHERE e.ledger_xid >= (SELECT upto FROM donations.ledger_projection)
   AND NOT EXISTS (SELECT 1 FROM donations.ledger l
                    WHERE l.provider = e.provider AND l.provider_event_id = e.event_id);

-- Copies journal rows that are not in the ledger yet into it (at most p_limit) and
-- moves the cursor (see the top of this file). Returns the payments it did not copy
-- because reversals are parked for them, as (o_provider, o_event_id) -- the caller
-- applies those with the ledger rules in the same transaction
-- (LedgerRules::ApplyJournaledPayment) -- and then one status row (o_provider NULL)
-- whose o_more says p_limit rows were taken (call again). No rows: nothing was
-- waiting; cheap then (an index range scan of the rows above the cursor, no lock).
-- Call it in a READ COMMITTED transaction.
CREATE FUNCTION donations.project_ledger(p_limit integer)
RETURNS TABLE (o_provider text, o_event_id text, o_more boolean)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_from xid8;
  v_reset boolean := false;
  v_horizon xid8;
  v_taken bigint;
  v_last xid8;
  v_upto xid8;
  v_parked_providers text[];
  v_parked_ids text[];
BEGIN
  -- Nothing waiting -- unless the cursor is ahead of every transaction id of this
  -- cluster (a logical restore into a new cluster restarts the ids): then the whole
  -- journal is scanned once below.
  IF (SELECT upto FROM donations.ledger_projection) <= pg_snapshot_xmax(pg_current_snapshot())
     AND NOT EXISTS (SELECT 1 FROM donations.ledger_journal_waiting) THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(7602, 1);
  -- Under the lock, each statement below with a fresh snapshot; the horizon first, so
  -- every row below it is visible to the copy.
  SELECT upto INTO v_from FROM donations.ledger_projection;
  IF v_from > pg_snapshot_xmax(pg_current_snapshot()) THEN
    v_from := '0'::xid8;
    v_reset := true;
  END IF;
  v_horizon := pg_snapshot_xmin(pg_current_snapshot());

  WITH todo AS MATERIALIZED (
    SELECT e.*, EXISTS (SELECT 1 FROM donations.parked_reversals pr
                         WHERE pr.provider = e.provider AND pr.payment_ref = e.payment_ref)
                  AS parked
      FROM donations.events e
     WHERE e.ledger_xid >= v_from
       AND NOT EXISTS (SELECT 1 FROM donations.ledger l
                        WHERE l.provider = e.provider AND l.provider_event_id = e.event_id)
     ORDER BY e.ledger_xid
     LIMIT greatest(p_limit, 1)),
  copied AS (
    INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, currency, rate_to_base,
                                  base_amount_minor, campaign_id, pledge_id, donor_id,
                                  reverses_entry_id, provider, provider_event_id, payment_ref)
    SELECT t.entry_id, t.occurred_at, t.entry_kind, t.amount_minor, t.currency, t.rate_to_base,
           t.base_amount_minor, t.campaign_id, t.pledge_id, NULL, NULL, t.provider, t.event_id,
           t.payment_ref
      FROM todo t
     WHERE NOT t.parked
     ORDER BY t.provider COLLATE "C", t.payment_ref COLLATE "C", t.event_id COLLATE "C"
    -- A payment already recorded (by another event type, or by the transaction path)
    -- stays as it is.
    ON CONFLICT DO NOTHING
    RETURNING 1)
  -- (copied runs to completion although nothing reads it: a data-modifying WITH does.)
  SELECT count(*),
         (SELECT t.ledger_xid FROM todo t ORDER BY t.ledger_xid DESC LIMIT 1),
         coalesce(array_agg(t.provider ORDER BY t.provider COLLATE "C", t.payment_ref COLLATE "C",
                            t.event_id COLLATE "C") FILTER (WHERE t.parked), '{}'),
         coalesce(array_agg(t.event_id ORDER BY t.provider COLLATE "C", t.payment_ref COLLATE "C",
                            t.event_id COLLATE "C") FILTER (WHERE t.parked), '{}')
    INTO v_taken, v_last, v_parked_providers, v_parked_ids
    FROM todo t;

  -- Every row below the horizon is in the ledger now (or needs no entry: its payment
  -- was recorded by another event) -- unless p_limit cut the copy, then only those
  -- below the last one taken (rows of its transaction may remain).
  v_upto := CASE WHEN v_taken < greatest(p_limit, 1) THEN v_horizon
                 ELSE least(v_horizon, v_last) END;
  UPDATE donations.ledger_projection
     SET upto = CASE WHEN v_reset THEN v_upto ELSE greatest(upto, v_upto) END;
  RETURN QUERY SELECT p, i, NULL::boolean FROM unnest(v_parked_providers, v_parked_ids) AS u(p, i);
  RETURN QUERY SELECT NULL::text, NULL::text, v_taken >= greatest(p_limit, 1);
END;
$$;

-- Replaced by the journal statement (services/donations/pg/pg_journal_statement.cc).
DROP FUNCTION donations.intake_arrays(text[], text[], text[], text[], timestamptz[], text[],
                                      boolean[], uuid[], text[], bigint[], text[], uuid[],
                                      text[], integer[], integer[], text[], bigint[]);

-- Comments edited after release (checksums of the earlier texts):
-- freehold:previous-checksum cc16dd3d9ce4c450d6a338baaeefee7faffe260550df897956a0f75a87e33e82
