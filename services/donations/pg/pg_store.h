// PostgreSQL adapter of the donations service (schema "donations"): the intake's
// transactional store and the read side's queries, over common/pg.h's PgPool.
// libpqxx exceptions never escape: PgPool maps them to statuses.
#pragma once

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/pg.h"
#include "services/donations/core/donation_claims.h"
#include "services/donations/core/donation_intents.h"
#include "services/donations/core/ledger_rules.h"
#include "services/donations/core/metrics.h"
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
std::unique_ptr<PgPool> NewOneStatementIntakePool(const PgPoolOptions& pool_options, int size);

// The ledger projection of migration 0006: ApplyFast records a payment as a journal
// row of donations.events; CatchUp copies every committed journal row it sees into
// donations.ledger (donations.project_ledger, batches of `batch_rows`), applying
// payments that reversals wait for with LedgerRules in the same transaction. Reversals
// such a payment refuses are kept as dead letters (same transaction) and logged.
// Thread-safe (one CatchUp at a time per object; across processes an advisory lock);
// `pool` (DonationsPoolOptions) must outlive it.
class PgLedgerProjection : public LedgerProjection {
 public:
  PgLedgerProjection(PgPool& pool, std::string base_currency, Logger log, int batch_rows = 2000);
  absl::Status CatchUp() override;
  // Counts the reversal entries the projection appends (parked refunds and lost
  // disputes applied with their payment) and the reversals it refuses into `metrics`
  // (null: none). The payments themselves are not counted: intake counted each when it
  // answered its journal row. Call before the first CatchUp; `metrics` must outlive
  // this object.
  void CountInto(DonationMetrics* metrics);
  // Age of the oldest journaled payment not yet in the ledger (zero if none): how far
  // behind the copy is when it fails or nothing runs it.
  absl::StatusOr<absl::Duration> Lag();

 private:
  // One batch: true if it took a whole batch (more may wait).
  absl::StatusOr<bool> Step() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  PgPool& pool_;
  const LedgerRules rules_;
  Logger log_;
  const int batch_rows_;
  absl::Mutex mu_;
  DonationMetrics* metrics_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// Intake store. Thread-safe; `pool` must come from DonationsPoolOptions and outlive it,
// `one_statement` (NewOneStatementIntakePool; null = no ApplyFast) and `projection`
// too. With `projection`, every transaction catches up with the journal first (so the
// rules see every payment recorded before); ApplyFast needs it (without one, payments
// go to the ledger directly through the jsonb statement).
class PgDonationStore : public DonationStore {
 public:
  explicit PgDonationStore(PgPool& pool, PgPool* one_statement = nullptr,
                           LedgerProjection* projection = nullptr)
      : pool_(pool), one_statement_(one_statement), projection_(projection) {}
  absl::Status RunInTransaction(absl::FunctionRef<absl::Status(LedgerTxn&)> body) override;
  absl::Status StoreDeadLetter(const DeadLetter& letter) override;
  // Parked payments (migration 0009, pg_parked_payments.cc).
  absl::Status ParkPayment(const ParkedPayment& payment) override;
  absl::StatusOr<std::vector<ParkedPayment>> ParkedPayments(int limit) override;
  absl::Status RemoveParkedPayment(absl::string_view provider,
                                   absl::string_view event_id) override;
  // One round trip per batch in autocommit mode, events sorted by payment so concurrent
  // batches claim ids in one order: the journal statement (pg_journal_statement.h,
  // migration 0006) without identified donors, whose payments reach the ledger through
  // the projection; donations.intake_fast(jsonb) (0002, 0003) with them, or when the
  // journal statement raised (nothing of it remains then).
  absl::StatusOr<std::vector<FastIntakeOutcome>> ApplyFast(
      const std::vector<const FastIntakeEvent*>& events) override;
  int FastConcurrency() const override;

 private:
  PgPool& pool_;
  PgPool* const one_statement_;
  LedgerProjection* const projection_;
};

// Read-side store. Thread-safe; same pool contract. With `projection`, every query of
// the ledger catches up with the journal first.
class PgQueryStore : public CampaignStore, public ReportStore, public DonorStore {
 public:
  explicit PgQueryStore(PgPool& pool, LedgerProjection* projection = nullptr)
      : pool_(pool), projection_(projection) {}

  // CampaignStore
  absl::Status CreateCampaign(const Campaign& campaign) override;
  absl::StatusOr<Campaign> GetCampaign(absl::string_view campaign_id) override;
  absl::Status CloseCampaign(absl::string_view campaign_id, absl::Time at) override;
  absl::StatusOr<std::vector<Campaign>> ListCampaigns(bool live_only, absl::Time now, int offset,
                                                      int limit) override;
  // ReportStore
  absl::StatusOr<int> SetExchangeRates(const std::vector<RateRow>& rows,
                                       RateSource source) override;
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
  absl::StatusOr<bool> IsSameOrClaimedDonor(absl::string_view donor_id,
                                            absl::string_view other) override;
  // With the donors it claimed (migration 0010) and their data in kept raw bodies
  // (pg_internal::EraseDonors).
  absl::Status ErasePersonalData(absl::string_view donor_id) override;
  absl::StatusOr<int> ErasePersonalDataByContact(absl::string_view provider,
                                                 absl::string_view customer_ref,
                                                 absl::string_view email) override;

 private:
  // OK, or the projection's error.
  absl::Status CatchUp() {
    return projection_ == nullptr ? absl::OkStatus() : projection_->CatchUp();
  }

  PgPool& pool_;
  LedgerProjection* const projection_;
};

// Donation intents and the donor's pledges (core/donation_intents.h, migration 0008).
// Thread-safe; `pool` (DonationsPoolOptions) and `projection` (may be null) must
// outlive it. Pledge queries catch up with the journal first (recurring payments name
// the donor's pledges).
class PgIntentStore : public IntentStore {
 public:
  PgIntentStore(PgPool& pool, LedgerProjection* projection);
  absl::Status CreateIntent(const StoredIntent& intent, absl::string_view token_hash,
                            absl::string_view name, absl::string_view email) override;
  absl::StatusOr<std::optional<std::string>> FindDonorByTokenHash(
      absl::string_view token_hash) override;
  absl::StatusOr<std::vector<Pledge>> ListDonorPledges(absl::string_view donor_id, int offset,
                                                       int limit) override;
  absl::StatusOr<std::optional<std::pair<Pledge, absl::Time>>> RequestPledgeCancel(
      absl::string_view donor_id, absl::string_view provider, absl::string_view pledge_id,
      absl::Time now) override;

 private:
  PgPool& pool_;
  LedgerProjection* const projection_;
};

// Claims of past donations by e-mail and the notification outbox
// (core/donation_claims.h, migration 0010). Thread-safe; `pool` and `projection` (may be
// null) must outlive it.
class PgClaimStore : public ClaimStore {
 public:
  PgClaimStore(PgPool& pool, LedgerProjection* projection);
  absl::StatusOr<std::optional<std::string>> FindDonorByTokenHash(
      absl::string_view token_hash) override;
  absl::StatusOr<std::pair<int, int>> RecentClaims(absl::string_view donor_id,
                                                   absl::string_view email,
                                                   absl::Time since) override;
  absl::StatusOr<bool> OtherDonorsWithEmail(absl::string_view donor_id,
                                            absl::string_view email) override;
  absl::Status CreateClaim(const EmailClaim& claim,
                           const std::optional<Notification>& notification) override;
  absl::StatusOr<std::optional<std::pair<EmailClaim, ClaimLinks>>> ConfirmClaim(
      absl::string_view claim_id, absl::string_view donor_id,
      const std::function<ClaimVerdict(const EmailClaim&)>& decide, absl::Time now) override;
  absl::StatusOr<std::vector<Notification>> PendingNotifications(int limit) override;
  absl::StatusOr<int> AckNotifications(const std::vector<int64_t>& ids) override;

 private:
  PgPool& pool_;
  LedgerProjection* const projection_;
};

namespace pg_internal {
// Timestamps cross the wire as RFC 3339 text with microseconds, UTC.
std::string TimeParam(absl::Time t);
// Column list and row decoding shared by the ledger queries.
extern const char kEntryColumns[];
LedgerEntry EntryFromRow(const pqxx::row& row);
// A LedgerTxn over `txn` (the intake store's statements).
std::unique_ptr<LedgerTxn> NewLedgerTxn(PgTxn& txn);
// Erases the personal data of these donors in `txn`: their donor_personal rows; every
// name, e-mail and customer id of theirs inside the raw bodies kept in dead_letters,
// review_events and parked_payments (a JSON string equal to one becomes "", and any
// other occurrence of one of 4 bytes or more is cut out); the notifications to and
// claims for their e-mail addresses, and their own claims. Returns how many
// donor_personal rows were deleted.
int EraseDonors(PgTxn& txn, const std::vector<std::string>& donor_ids);
// Prepared statements of PgQueryStore.
std::vector<std::pair<std::string, std::string>> QueryStatements();
}  // namespace pg_internal

}  // namespace freehold::donations
