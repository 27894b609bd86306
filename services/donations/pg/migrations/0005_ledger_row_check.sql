-- The ledger's seven row CHECKs (migration 0001) as one CHECK calling one function
-- (services/donations/README.md, "Throughput"). Same rules, same error (23514
-- check_violation), same NULL semantics (each rule is on NOT NULL columns or
-- NULL-safe, and a CHECK passes on NULL either way). Why: PostgreSQL rebuilds every
-- CHECK expression of the target table for each INSERT statement (reads it back from
-- its stored node text, then plans it); for donations.ledger's seven that was about
-- 40-70 us of backend CPU per statement, i.e. per intake batch, more than the row
-- itself. A PL/pgSQL function is compiled once per session and its expressions are
-- cached, so the per-statement work is one function call node.

-- True if a ledger row obeys the entry rules; the columns it reads are named after
-- them. Changing this function changes what the ledger accepts: do it in a migration.
CREATE FUNCTION donations.ledger_entry_valid(p_kind text, p_amount_minor bigint,
                                             p_base_amount_minor bigint, p_currency char(3),
                                             p_rate_to_base text, p_reverses_entry_id uuid,
                                             p_pledge_id text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN p_kind IN ('one_off', 'recurring', 'refund', 'chargeback')
     AND p_currency ~ '^[A-Z]{3}$'
     AND p_rate_to_base ~ '^[0-9]+(\.[0-9]+)?$'
     -- payments stand alone; reversals link to their payment
     AND (p_kind IN ('one_off', 'recurring')) = (p_reverses_entry_id IS NULL)
     -- payments are positive, reversals negative, in both currencies
     AND (p_kind IN ('refund', 'chargeback') OR (p_amount_minor > 0 AND p_base_amount_minor >= 0))
     AND (p_kind IN ('one_off', 'recurring') OR (p_amount_minor < 0 AND p_base_amount_minor <= 0))
     -- recurring income belongs to a pledge
     AND ((p_kind = 'recurring') <= (p_pledge_id IS NOT NULL));
END;
$$;

ALTER TABLE donations.ledger
  ADD CONSTRAINT ledger_entry_valid CHECK (donations.ledger_entry_valid(
    kind, amount_minor, base_amount_minor, currency, rate_to_base, reverses_entry_id,
    pledge_id)),
  DROP CONSTRAINT ledger_kind_check,
  DROP CONSTRAINT ledger_currency_check,
  DROP CONSTRAINT ledger_rate_to_base_check,
  DROP CONSTRAINT ledger_check,
  DROP CONSTRAINT ledger_check1,
  DROP CONSTRAINT ledger_check2,
  DROP CONSTRAINT ledger_check3;
