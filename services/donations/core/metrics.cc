// Donations metrics (see metrics.h).
#include "services/donations/core/metrics.h"

#include <string>

namespace freehold::donations {

DonationMetrics::DonationMetrics(prometheus::Registry& registry)
    : events_(prometheus::BuildCounter()
                  .Name("freehold_donation_events_total")
                  .Help("Webhook events by provider, kind and result")
                  .Register(registry)),
      received_(prometheus::BuildCounter()
                    .Name("freehold_donations_received_total")
                    .Help("Donations recorded in the ledger, by kind")
                    .Register(registry)),
      received_base_(prometheus::BuildCounter()
                         .Name("freehold_donations_received_base_total")
                         .Help("Donations recorded, in base-currency minor units, by kind and "
                               "original currency")
                         .Register(registry)),
      refunds_(prometheus::BuildCounter()
                   .Name("freehold_donation_refunds_total")
                   .Help("Refund entries recorded")
                   .Register(registry)
                   .Add({})),
      refunds_base_(prometheus::BuildCounter()
                        .Name("freehold_donation_refunds_base_total")
                        .Help("Refunded base-currency minor units, by original currency")
                        .Register(registry)),
      chargebacks_(prometheus::BuildCounter()
                       .Name("freehold_donation_chargebacks_total")
                       .Help("Chargeback entries recorded (disputes lost)")
                       .Register(registry)
                       .Add({})),
      chargebacks_base_(prometheus::BuildCounter()
                            .Name("freehold_donation_chargebacks_base_total")
                            .Help("Charged-back base-currency minor units, by original currency")
                            .Register(registry)),
      rejected_(prometheus::BuildCounter()
                    .Name("freehold_webhook_rejected_total")
                    .Help("Webhook deliveries rejected, by reason")
                    .Register(registry)),
      duplicates_(prometheus::BuildCounter()
                      .Name("freehold_donation_duplicates_total")
                      .Help("Deliveries of an event id already recorded")
                      .Register(registry)
                      .Add({})),
      monthly_recurring_(prometheus::BuildGauge()
                             .Name("freehold_donations_monthly_recurring_base")
                             .Help("Active pledges per month, base-currency minor units")
                             .Register(registry)
                             .Add({})),
      balance_(prometheus::BuildGauge()
                   .Name("freehold_donations_ledger_balance_base")
                   .Help("All-time net donations, base-currency minor units")
                   .Register(registry)
                   .Add({})),
      journal_lag_(prometheus::BuildGauge()
                       .Name("freehold_donations_ledger_journal_lag_seconds")
                       .Help("Age of the oldest payment answered but not yet copied into the "
                             "ledger (0: none)")
                       .Register(registry)
                       .Add({})),
      batch_events_(prometheus::BuildHistogram()
                        .Name("freehold_donations_intake_batch_events")
                        .Help("Webhook events applied per group-commit transaction")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64})),
      path_(prometheus::BuildCounter()
                .Name("freehold_donations_intake_path_total")
                .Help("Verified webhook events by how they were applied")
                .Register(registry)),
      path_one_statement_(path_.Add({{"path", "one_statement"}})),
      path_transaction_(path_.Add({{"path", "transaction"}})) {}

void DonationMetrics::CountEvent(absl::string_view provider, absl::string_view kind,
                                 absl::string_view result) {
  events_
      .Add({{"provider", std::string(provider)},
            {"kind", std::string(kind)},
            {"result", std::string(result)}})
      .Increment();
}

void DonationMetrics::CountRejected(absl::string_view reason) {
  rejected_.Add({{"reason", std::string(reason)}}).Increment();
}

void DonationMetrics::CountDuplicate() { duplicates_.Increment(); }

void DonationMetrics::CountEntry(const LedgerEntry& entry) {
  const double base = static_cast<double>(entry.base_amount_minor);
  switch (entry.kind) {
    case EntryKind::kOneOff:
    case EntryKind::kRecurring: {
      const std::string kind(EntryKindName(entry.kind));
      received_.Add({{"kind", kind}}).Increment();
      if (base > 0)
        received_base_.Add({{"kind", kind}, {"currency", entry.currency}}).Increment(base);
      break;
    }
    case EntryKind::kRefund:
      refunds_.Increment();
      if (base < 0) refunds_base_.Add({{"currency", entry.currency}}).Increment(-base);
      break;
    case EntryKind::kChargeback:
      chargebacks_.Increment();
      if (base < 0) chargebacks_base_.Add({{"currency", entry.currency}}).Increment(-base);
      break;
  }
}

void DonationMetrics::SetMonthlyRecurringBase(int64_t minor) {
  monthly_recurring_.Set(static_cast<double>(minor));
}

void DonationMetrics::SetJournalLagSeconds(double seconds) { journal_lag_.Set(seconds); }

void DonationMetrics::SetLedgerBalanceBase(int64_t minor) {
  balance_.Set(static_cast<double>(minor));
}

void DonationMetrics::ObserveBatch(size_t events) {
  batch_events_.Observe(static_cast<double>(events));
}

void DonationMetrics::CountPath(absl::string_view path) {
  (path == "one_statement" ? path_one_statement_ : path_transaction_).Increment();
}

}  // namespace freehold::donations
