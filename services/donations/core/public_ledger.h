// The public export of the ledger (GET /ledger.csv, /ledger.json on the donations HTTP
// port): every entry with what it is, when, how much and in which currency, its base
// amount and rate, its campaign and the entry it reverses -- and nothing that could
// identify a donor or a processor object (no donor id, no provider, event, payment,
// customer or subscription id). The totals equal the ledger balance
// (freehold_donations_ledger_balance_base) to the minor unit.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/donations/core/read_store.h"

namespace freehold::donations {

enum class LedgerFormat { kCsv, kJson };

// Reads every entry (in ledger order) through `reports` and renders it.
//   CSV:  header "entry_id,at,kind,amount_minor,currency,rate_to_base,
//         base_amount_minor,base_currency,campaign_id,reverses_entry_id", one row each.
//   JSON: {"base_currency", "as_of", "entries": [...same fields...],
//          "totals": {"base_amount_minor", "by_currency": {CUR: {"amount_minor",
//          "base_amount_minor"}}}}
absl::StatusOr<std::string> RenderPublicLedger(ReportStore& reports,
                                               const std::string& base_currency, absl::Time now,
                                               LedgerFormat format);

}  // namespace freehold::donations
