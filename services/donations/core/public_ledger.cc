// The public, anonymised ledger export (see public_ledger.h).
#include "services/donations/core/public_ledger.h"

#include <map>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace freehold::donations {
namespace {

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

// Fields are UUIDs, codes, numbers and fixed words: nothing to quote.
std::string CsvRow(const LedgerEntry& e, const std::string& base_currency) {
  return absl::StrCat(e.entry_id, ",", Utc(e.at), ",", EntryKindName(e.kind), ",", e.amount_minor,
                      ",", e.currency, ",", e.rate_to_base, ",", e.base_amount_minor, ",",
                      base_currency, ",", e.campaign_id, ",", e.reverses_entry_id, "\n");
}

}  // namespace

absl::StatusOr<std::string> RenderPublicLedger(ReportStore& reports,
                                               const std::string& base_currency, absl::Time now,
                                               LedgerFormat format) {
  constexpr int kBatch = 5000;
  std::string csv =
      "entry_id,at,kind,amount_minor,currency,rate_to_base,base_amount_minor,base_currency,"
      "campaign_id,reverses_entry_id\n";
  nlohmann::json entries = nlohmann::json::array();
  int64_t total_base = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> by_currency;  // amount, base
  int64_t cursor = 0;
  // Everything recorded up to now (entries are never dated in the future by much; the
  // end bound only guards against clock skew).
  const absl::Time end = now + absl::Hours(24 * 365);
  while (true) {
    FH_ASSIGN_OR_RETURN(auto batch,
                        reports.ExportEntries(absl::UnixEpoch() - absl::Hours(24 * 365 * 100),
                                              end, cursor, kBatch));
    for (const LedgerEntry& e : batch.first) {
      total_base += e.base_amount_minor;
      auto& c = by_currency[e.currency];
      c.first += e.amount_minor;
      c.second += e.base_amount_minor;
      if (format == LedgerFormat::kCsv) {
        csv += CsvRow(e, base_currency);
      } else {
        entries.push_back({{"entry_id", e.entry_id},
                           {"at", Utc(e.at)},
                           {"kind", std::string(EntryKindName(e.kind))},
                           {"amount_minor", e.amount_minor},
                           {"currency", e.currency},
                           {"rate_to_base", e.rate_to_base},
                           {"base_amount_minor", e.base_amount_minor},
                           {"campaign_id", e.campaign_id},
                           {"reverses_entry_id", e.reverses_entry_id}});
      }
    }
    cursor = batch.second;
    if (batch.first.size() < static_cast<size_t>(kBatch)) break;
  }
  if (format == LedgerFormat::kCsv) return csv;
  nlohmann::json currencies = nlohmann::json::object();
  for (const auto& [code, sums] : by_currency) {
    currencies[code] = {{"amount_minor", sums.first}, {"base_amount_minor", sums.second}};
  }
  nlohmann::json doc = {{"base_currency", base_currency},
                        {"as_of", Utc(now)},
                        {"entries", std::move(entries)},
                        {"totals",
                         {{"base_amount_minor", total_base}, {"by_currency", currencies}}}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace freehold::donations
