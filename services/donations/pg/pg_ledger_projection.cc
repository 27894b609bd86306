// The ledger projection of migration 0006 (see pg_store.h, PgLedgerProjection).
#include <utility>
#include <vector>

#include "common/status.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations {

PgLedgerProjection::PgLedgerProjection(PgPool& pool, std::string base_currency, Logger log,
                                       int batch_rows)
    : pool_(pool),
      rules_(std::move(base_currency)),
      log_(std::move(log)),
      batch_rows_(batch_rows) {}

void PgLedgerProjection::CountInto(DonationMetrics* metrics) {
  absl::MutexLock lock(&mu_);
  metrics_ = metrics;
}

absl::StatusOr<bool> PgLedgerProjection::Step() {
  bool more = false;
  std::vector<std::pair<ParkedReversal, absl::Status>> refused;
  std::vector<LedgerEntry> reversals;  // appended, counted once the transaction commits
  FH_RETURN_IF_ERROR(pool_.Run([&](PgTxn& txn) -> absl::Status {
    more = false;
    refused.clear();
    reversals.clear();
    pqxx::result r = txn.exec_prepared("dn_project_ledger", batch_rows_);
    for (const pqxx::row& row : r) {
      if (row[0].is_null()) {  // the status row
        more = row[2].as<bool>();
        continue;
      }
      // A payment that reversals wait for (rare): its entry, then the rules.
      pqxx::result entry =
          txn.exec_prepared("dn_journal_entry", row[0].as<std::string>(), row[1].as<std::string>());
      if (entry.size() != 1) {
        return absl::InternalError("donations.project_ledger named a journal row that is gone");
      }
      std::unique_ptr<LedgerTxn> ledger = pg_internal::NewLedgerTxn(txn);
      absl::StatusOr<AppliedEvent> applied =
          rules_.ApplyJournaledPayment(*ledger, pg_internal::EntryFromRow(entry[0]));
      if (!applied.ok()) return applied.status();
      for (auto& why : applied->refused_parked) refused.push_back(std::move(why));
      for (LedgerEntry& e : applied->entries) {
        if (e.kind == EntryKind::kRefund || e.kind == EntryKind::kChargeback) {
          reversals.push_back(std::move(e));
        }
      }
    }
    // Refused reversals are kept in the same transaction that took them off the parked
    // list, so none is lost.
    for (const auto& [reversal, why] : refused) {
      txn.exec_prepared("dn_dead_letter", reversal.provider, reversal.event_id,
                        std::string(why.message()), pqxx::binarystring(std::string()),
                        pg_internal::TimeParam(absl::Now()));
    }
    return absl::OkStatus();
  }));
  if (metrics_ != nullptr) {
    for (const LedgerEntry& e : reversals) metrics_->CountEntry(e);
    for (size_t i = 0; i < refused.size(); ++i) metrics_->CountRejected("refused");
  }
  for (const auto& [reversal, why] : refused) {
    log_.Warn(
        "parked reversal refused when its payment was copied into the ledger; kept as "
        "a dead letter",
        {{"provider", reversal.provider}, {"event_id", reversal.event_id}, {"error", why}});
  }
  return more;
}

absl::StatusOr<absl::Duration> PgLedgerProjection::Lag() {
  return pool_.RunReadOnly([](PgTxn& txn) -> absl::Duration {
    const double seconds = txn.exec_prepared("dn_journal_lag")[0][0].as<double>();
    return absl::Seconds(seconds);
  });
}

absl::Status PgLedgerProjection::CatchUp() {
  absl::MutexLock lock(&mu_);
  // Bounded: a journal that grows faster than it is copied is caught up by the next call.
  for (int batch = 0; batch < 1000; ++batch) {
    absl::StatusOr<bool> more = Step();
    if (!more.ok()) {
      log_.Warn("could not copy journaled payments into the ledger", {{"error", more.status()}});
      return more.status();
    }
    if (!*more) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace freehold::donations
