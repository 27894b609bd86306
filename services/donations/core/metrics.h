// Prometheus metrics of the donations service.
//   freehold_donation_events_total{provider,kind,result}
//       result: recorded | duplicate | parked | stored_for_review | rejected_signature |
//               rejected_stale | rejected_malformed | rejected_refused | failed
//       kind: EventKindName(), or "unverified" before the signature is checked
//   freehold_donations_received_total{kind}                  payments (one_off|recurring)
//   freehold_donations_received_base_total{kind,currency}    their base-currency minor
//       units, labelled with the ORIGINAL currency (sum over currency = total in base)
//   freehold_donation_refunds_total, freehold_donation_refunds_base_total{currency}
//   freehold_donation_chargebacks_total, freehold_donation_chargebacks_base_total{currency}
//       (base minor units, positive)
//   freehold_webhook_rejected_total{reason}  reason: unknown_provider | bad_signature |
//       stale_timestamp | malformed | refused | too_large
//   freehold_donation_duplicates_total
//   freehold_donations_monthly_recurring_base   gauge, active pledges per month (base minor)
//   freehold_donations_ledger_balance_base      gauge, all-time net (base minor)
//   freehold_donations_ledger_journal_lag_seconds  gauge, age of the oldest payment
//       answered but not yet copied into the ledger (0: none; pg migration 0006)
//   freehold_donations_intake_batch_events      histogram, events per group-commit batch
//   freehold_donations_intake_path_total{path}  verified events by how they were applied:
//       one_statement (group commit) | transaction (the C++ rules in a transaction)
// Counters count what this process saw; gauges come from the database (FundingReport).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>

#include "absl/strings/string_view.h"
#include "services/donations/core/types.h"

namespace freehold::donations {

// Thread-safe. The registry must outlive this object.
class DonationMetrics {
 public:
  explicit DonationMetrics(prometheus::Registry& registry);

  void CountEvent(absl::string_view provider, absl::string_view kind, absl::string_view result);
  void CountRejected(absl::string_view reason);
  void CountDuplicate();
  // Counts a ledger entry this process appended.
  void CountEntry(const LedgerEntry& entry);
  void SetMonthlyRecurringBase(int64_t minor);
  void SetLedgerBalanceBase(int64_t minor);
  void SetJournalLagSeconds(double seconds);
  void ObserveBatch(size_t events);
  // `path`: "one_statement" or "transaction".
  void CountPath(absl::string_view path);

 private:
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& received_base_;
  prometheus::Counter& refunds_;
  prometheus::Family<prometheus::Counter>& refunds_base_;
  prometheus::Counter& chargebacks_;
  prometheus::Family<prometheus::Counter>& chargebacks_base_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Counter& duplicates_;
  prometheus::Gauge& monthly_recurring_;
  prometheus::Gauge& balance_;
  prometheus::Gauge& journal_lag_;
  prometheus::Histogram& batch_events_;
  prometheus::Family<prometheus::Counter>& path_;
  prometheus::Counter& path_one_statement_;
  prometheus::Counter& path_transaction_;
};

}  // namespace freehold::donations
