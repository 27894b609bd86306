// PostgreSQL adapter of the donations service (schema "donations"): the intake's
// transactional store and the read side's queries, over common/pg.h's PgPool.
// libpqxx exceptions never escape: PgPool maps them to statuses.
#pragma once

#include <memory>
#include <string>

#include "common/pg.h"
#include "services/donations/core/read_store.h"
#include "services/donations/core/store.h"

namespace freehold::donations {

// Pool options for the donations schema: search_path and every prepared statement
// the adapters use.
PgPoolOptions DonationsPoolOptions(const std::string& database_url, int size);

// Applies the embedded migrations (pg/migrations/*.sql).
absl::Status MigrateDonationsSchema(PgPool& pool);

// Connections for the one-statement intake (ApplyFast), used in autocommit mode
// (PgPool::RunAutocommit: no BEGIN/COMMIT round trips): `size` connections with the
// settings of `pool_options` (DonationsPoolOptions) and only that statement.
std::unique_ptr<PgPool> NewOneStatementIntakePool(const PgPoolOptions& pool_options,
                                                            int size);

// Intake store. Thread-safe; `pool` must come from DonationsPoolOptions and outlive it,
// `one_statement` (NewOneStatementIntakePool; null = no ApplyFast) too.
class PgDonationStore : public DonationStore {
 public:
  explicit PgDonationStore(PgPool& pool, PgPool* one_statement = nullptr)
      : pool_(pool), one_statement_(one_statement) {}
  absl::Status RunInTransaction(absl::FunctionRef<absl::Status(LedgerTxn&)> body) override;
  absl::Status StoreDeadLetter(const DeadLetter& letter) override;
  // One round trip per batch in autocommit mode, events sorted by payment so concurrent
  // batches take the payment locks in one order: donations.intake_arrays (migration
  // 0004) without identified donors; donations.intake_fast(jsonb) (0002, 0003) with
  // them, or when intake_arrays raised (nothing of it remains then).
  absl::StatusOr<std::vector<FastIntakeOutcome>> ApplyFast(
      const std::vector<const FastIntakeEvent*>& events) override;
  int FastConcurrency() const override;

 private:
  PgPool& pool_;
  PgPool* const one_statement_;
};

// Read-side store. Thread-safe; same pool contract.
class PgQueryStore : public CampaignStore, public ReportStore, public DonorStore {
 public:
  explicit PgQueryStore(PgPool& pool) : pool_(pool) {}

  // CampaignStore
  absl::Status CreateCampaign(const Campaign& campaign) override;
  absl::StatusOr<Campaign> GetCampaign(absl::string_view campaign_id) override;
  absl::StatusOr<std::vector<Campaign>> ListCampaigns(bool live_only, absl::Time now, int offset,
                                                      int limit) override;
  // ReportStore
  absl::StatusOr<int> SetExchangeRates(const std::vector<RateRow>& rows) override;
  absl::StatusOr<std::vector<RateRow>> RatesAt(absl::Time at) override;
  absl::StatusOr<std::vector<MonthTotal>> MonthTotals(absl::Time since) override;
  absl::StatusOr<int64_t> NetBase(absl::Time start, absl::Time end, bool one_off_only) override;
  absl::StatusOr<int64_t> BalanceBase() override;
  absl::StatusOr<uint64_t> DonorCount() override;
  absl::StatusOr<std::vector<Pledge>> ListPledges(bool active_only, int offset, int limit) override;
  absl::StatusOr<std::pair<std::vector<LedgerEntry>, int64_t>> ExportEntries(absl::Time start,
                                                                             absl::Time end,
                                                                             int64_t after_cursor,
                                                                             int limit) override;
  // DonorStore
  absl::StatusOr<std::optional<std::string>> FindDonorByTokenHash(
      absl::string_view token_hash) override;
  absl::StatusOr<std::vector<LedgerEntry>> ListDonorEntries(absl::string_view donor_id, int offset,
                                                            int limit) override;
  absl::StatusOr<std::optional<LedgerEntry>> GetEntry(absl::string_view entry_id) override;
  absl::StatusOr<std::optional<DonorInfo>> PersonalData(absl::string_view donor_id) override;
  absl::Status ErasePersonalData(absl::string_view donor_id) override;
  absl::StatusOr<int> ErasePersonalDataByContact(absl::string_view provider,
                                                 absl::string_view customer_ref,
                                                 absl::string_view email) override;

 private:
  PgPool& pool_;
};

namespace pg_internal {
// Timestamps cross the wire as RFC 3339 text with microseconds, UTC.
std::string TimeParam(absl::Time t);
// Column list and row decoding shared by the ledger queries.
extern const char kEntryColumns[];
LedgerEntry EntryFromRow(const pqxx::row& row);
// Prepared statements of PgQueryStore.
std::vector<std::pair<std::string, std::string>> QueryStatements();
}  // namespace pg_internal

}  // namespace freehold::donations
