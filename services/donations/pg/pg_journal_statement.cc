// The journal statement of the one-statement intake (migration 0006; see
// pg_journal_statement.h).
#include "services/donations/pg/pg_journal_statement.h"

#include "absl/strings/str_cat.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations::pg_internal {
namespace {

// Parameters per event, in this order; the statement casts each.
constexpr const char* kParamTypes[kJournalParamsPerEvent] = {
    "text",         // provider
    "text",         // event_id
    "text",         // type
    "text",         // kind
    "timestamptz",  // occurred_at
    "text",         // payment_ref
    "boolean",      // claim_only
    "boolean",      // later: an earlier event of the batch reports the same payment
    "uuid",         // entry_id
    "text",         // entry_kind
    "bigint",       // amount_minor
    "text",         // currency
    "uuid",         // campaign_id (NULL: none)
    "text",         // pledge_id (NULL: none)
    "integer",      // currency digits
    "integer",      // base digits
    "text",         // rate_to_base (NULL: look it up)
    "bigint",       // base_amount_minor (NULL: compute it)
};

}  // namespace

std::string JournalStatementName(int events) { return absl::StrCat("dn_journal_", events); }

std::string JournalStatementSql(int events) {
  std::string values;
  for (int e = 0; e < events; ++e) {
    absl::StrAppend(&values, e == 0 ? "(" : ", (", e + 1);
    for (int p = 0; p < kJournalParamsPerEvent; ++p) {
      absl::StrAppend(&values, ", $", e * kJournalParamsPerEvent + p + 1, "::", kParamTypes[p]);
    }
    values += ")";
  }
  // The payment columns of a journal row, NULL for every other event.
  auto entry = [](const char* column) {
    return absl::StrCat("CASE WHEN i.journal THEN i.", column, " END");
  };
  return absl::StrCat(
      "WITH input AS (SELECT w.*, r.use_rate, b.use_base,"
      " NOT w.claim_only AND EXISTS (SELECT 1 FROM donations.parked_reversals pr"
      "  WHERE pr.provider = w.provider AND pr.payment_ref = w.payment_ref) AS parked,"
      " NOT w.claim_only AND b.use_base IS NOT NULL AND NOT w.later AND NOT EXISTS (SELECT 1"
      "  FROM donations.ledger l WHERE l.provider = w.provider AND l.payment_ref = w.payment_ref"
      "  AND l.kind IN ('one_off', 'recurring')) AS journal"
      " FROM (VALUES ",
      values,
      ") AS w(ord, provider, event_id, type, kind, occurred_at, payment_ref, claim_only, later,"
      " entry_id, entry_kind, amount_minor, currency, campaign_id, pledge_id, digits,"
      " base_digits, rate, base)"
      " CROSS JOIN LATERAL (SELECT CASE WHEN w.claim_only OR w.rate IS NOT NULL THEN w.rate"
      "  ELSE (SELECT x.rate_to_base FROM donations.exchange_rates x"
      "  WHERE x.currency = w.currency AND x.effective_from <= w.occurred_at"
      "  ORDER BY x.effective_from DESC LIMIT 1) END AS use_rate) r"
      " CROSS JOIN LATERAL (SELECT CASE WHEN w.claim_only THEN NULL"
      "  WHEN w.base IS NOT NULL THEN w.base"
      "  ELSE donations.to_base_minor(w.amount_minor, w.digits, r.use_rate, w.base_digits) END"
      "  AS use_base) b),"
      " claimed AS (INSERT INTO donations.events (provider, event_id, type, kind, occurred_at,"
      " payment_ref, entry_id, entry_kind, amount_minor, currency, rate_to_base,"
      " base_amount_minor, campaign_id, pledge_id, ledger_xid)"
      " SELECT i.provider, i.event_id, i.type, i.kind, i.occurred_at, ",
      entry("payment_ref"), ", ", entry("entry_id"), ", ", entry("entry_kind"), ", ",
      entry("amount_minor"), ", ", entry("currency"), ", ", entry("use_rate"), ", ",
      entry("use_base"), ", ", entry("campaign_id"), ", ", entry("pledge_id"),
      ", CASE WHEN i.journal THEN pg_current_xact_id() END"
      " FROM input i WHERE NOT i.parked AND (i.claim_only OR i.use_base IS NOT NULL)"
      " ORDER BY i.ord ON CONFLICT DO NOTHING RETURNING provider, event_id)"
      " SELECT string_agg(CASE WHEN i.parked OR (NOT i.claim_only AND i.use_base IS NULL)"
      " THEN 't' WHEN c.event_id IS NULL THEN 'd' WHEN i.journal THEN 'r' ELSE 'c' END, ''"
      " ORDER BY i.ord), array_agg(i.use_rate ORDER BY i.ord),"
      " array_agg(i.use_base ORDER BY i.ord)"
      " FROM input i LEFT JOIN claimed c ON c.provider = i.provider AND c.event_id = i.event_id");
}

JournalParams::JournalParams(const std::vector<const FastIntakeEvent*>& events) {
  values_.reserve(events.size() * kJournalParamsPerEvent);
  auto text = [this](std::string v) { values_.push_back(std::move(v)); };
  auto null = [this] { values_.push_back(std::nullopt); };
  for (size_t k = 0; k < events.size(); ++k) {
    const FastIntakeEvent& e = *events[k];
    text(e.provider);
    text(e.event_id);
    text(e.type);
    text(e.kind);
    text(TimeParam(e.occurred_at));
    text(e.payment_ref);
    text(e.claim_only ? "t" : "f");
    bool later = false;
    for (size_t j = 0; j < k && !e.claim_only; ++j) {
      later = later || (!events[j]->claim_only && events[j]->provider == e.provider &&
                        events[j]->payment_ref == e.payment_ref);
    }
    text(later ? "t" : "f");
    if (e.claim_only) {
      for (int p = 8; p < kJournalParamsPerEvent; ++p) null();
      continue;
    }
    text(e.entry.entry_id);
    text(std::string(EntryKindName(e.entry.kind)));
    text(absl::StrCat(e.entry.amount_minor));
    text(e.entry.currency);
    if (e.entry.campaign_id.empty())
      null();
    else
      text(e.entry.campaign_id);
    if (e.entry.pledge_id.empty())
      null();
    else
      text(e.entry.pledge_id);
    text(absl::StrCat(e.currency_digits));
    text(absl::StrCat(e.base_digits));
    if (e.base_currency) {  // rate 1, same digits
      text("1");
      text(absl::StrCat(e.entry.amount_minor));
    } else {  // looked up by the statement
      null();
      null();
    }
  }
  pointers_.reserve(values_.size());
  for (const std::optional<std::string>& v : values_) {
    pointers_.push_back(v.has_value() ? v->c_str() : nullptr);
  }
}

}  // namespace freehold::donations::pg_internal
