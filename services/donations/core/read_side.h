// The read side of the donations service: campaigns, funding reports, the donor
// portal and ledger export. Plain C++ over the read_store.h seams; the gRPC layer
// only translates. All classes are thread-safe; constructor arguments must outlive them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/signed_token.h"
#include "services/donations/core/metrics.h"
#include "services/donations/core/read_store.h"

namespace freehold::donations {

// Offset paging: page tokens are opaque decimal offsets.
struct PageSpec {
  int offset = 0;
  int limit = 50;
};
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// INVALID_ARGUMENT naming `field` for a malformed token.
absl::StatusOr<PageSpec> ParsePage(uint32_t page_size, absl::string_view page_token,
                                   absl::string_view field);
// Token of the next page, or "" when `returned` < limit.
std::string NextPageToken(const PageSpec& page, size_t returned);

class CampaignBook {
 public:
  CampaignBook(CampaignStore& store, Clock& clock);

  // Validates (title 1..200 chars, description <= 4000, goal > 0 and <= 10^15,
  // start < end when both set) and stores a new campaign with a fresh id.
  absl::StatusOr<Campaign> Create(Campaign campaign);
  absl::StatusOr<Campaign> Get(absl::string_view campaign_id);
  absl::StatusOr<std::vector<Campaign>> List(bool live_only, const PageSpec& page);
  // Ends the campaign now (no more donations are attributed to it as live; what it
  // raised stays). Idempotent: a campaign that has ended already is answered as is.
  // INVALID_ARGUMENT (not a UUID), NOT_FOUND, FAILED_PRECONDITION (not started yet).
  absl::StatusOr<Campaign> Close(absl::string_view campaign_id);

  // raised / goal (0 when goal is 0).
  static double Progress(const Campaign& c);

  // Called after a campaign is created or closed (e.g. to re-render the public page).
  // Must not block. Set once before serving.
  void SetChangeListener(std::function<void()> listener) { changed_ = std::move(listener); }

 private:
  CampaignStore& store_;
  Clock& clock_;
  std::function<void()> changed_;
};

struct FundingSummary {
  std::string base_currency;
  std::vector<MonthTotal> months;
  int64_t balance_base_minor = 0;
  int64_t monthly_recurring_base_minor = 0;
  int64_t trailing_one_off_average_base_minor = 0;
  int64_t this_month_net_base_minor = 0;
  uint64_t donor_count = 0;
  absl::Time as_of;
};

// The storage figures the coordinator computes (Funding.GetFundingStatus): billing-free's
// cost model over the capacity actually provisioned, and the funding outlook.
struct StorageFigures {
  std::string currency;
  int64_t monthly_cost_base_minor = 0;
  double coverage_ratio = 0;
  double runway_seconds = 0;  // +inf when income covers the cost
  uint64_t funded_capacity_logical_bytes = 0;  // money + donated disks
  uint64_t logical_used_bytes = 0;
  // Donated disks (in-kind, never part of the money figures): nodes counting now,
  // their audited available raw bytes, and what that is worth per month.
  uint64_t inkind_nodes = 0;
  uint64_t inkind_raw_capacity_bytes = 0;
  int64_t inkind_value_base_minor = 0;
  absl::Time as_of;
};

// Counts other services publish for the transparency page (issue 22): abuse reports
// of public links (the coordinator's Abuse.GetAbuseCounts) and the abandoned-account
// lifecycle (accounts' GetLifecycleReport). Aggregates only; each nullopt when its
// source is not configured or has not answered recently.
struct AbuseFigures {
  uint64_t reports_received = 0;
  uint64_t links_disabled = 0;
  uint64_t authority_requests = 0;
};
struct LifecycleFigures {
  bool enabled = false;
  int64_t warned_total = 0;
  int64_t trashed_total = 0;
  int64_t collected_total = 0;
  int64_t renewed_total = 0;
};
struct AccountabilityFigures {
  std::optional<AbuseFigures> abuse;
  std::optional<LifecycleFigures> lifecycle;
};

// What the transparency page shows.
struct TransparencyData {
  std::string base_currency;
  int base_digits = 2;
  std::string month;  // "YYYY-MM"
  int64_t this_month_net_base_minor = 0;
  std::optional<int64_t> monthly_cost_base_minor;  // nullopt if unknown
  // The coordinator's figures when it provides them (then the cost above is theirs);
  // otherwise the cost, if any, is the operator's typed --monthly-cost-*.
  std::optional<StorageFigures> storage;
  int64_t monthly_recurring_base_minor = 0;
  std::vector<Campaign> live_campaigns;
  AccountabilityFigures accountability;
};

class FundingReport {
 public:
  // `monthly_cost` returns this month's storage cost in base minor units, or nullopt.
  FundingReport(ReportStore& reports, CampaignStore& campaigns, Clock& clock,
                std::string base_currency, std::function<std::optional<int64_t>()> monthly_cost,
                Logger log);

  // `months` back (0 means 12, at most 120).
  absl::StatusOr<FundingSummary> Summary(uint32_t months);
  // Active pledges converted to base at today's rates, per month. Pledges whose currency
  // has no rate are left out (and logged).
  absl::StatusOr<int64_t> MonthlyRecurringBase();
  absl::StatusOr<TransparencyData> Transparency();
  // Sets the two gauges of `metrics` from the database.
  absl::Status RefreshGauges(DonationMetrics& metrics);

  // Validates (known currency, positive rate, base currency only at rate 1).
  // Calls the rates listener (SetRatesListener) after storing them.
  absl::StatusOr<int> SetExchangeRates(const std::vector<RateRow>& rows,
                                       RateSource source = RateSource::kManual);
  // Called after every successful SetExchangeRates (e.g. to replay parked payments);
  // must not block long. Set once before serving.
  void SetRatesListener(std::function<void()> listener) { rates_listener_ = std::move(listener); }
  // The coordinator's computed figures (nullopt when none are fresh). When set and in
  // the base currency, they replace the typed monthly cost. Set once before serving.
  void SetStorageFigures(std::function<std::optional<StorageFigures>()> figures) {
    storage_figures_ = std::move(figures);
  }
  // The abuse and account-lifecycle counts (see AccountabilityFigures). Set once
  // before serving.
  void SetAccountabilityFigures(std::function<AccountabilityFigures()> figures) {
    accountability_figures_ = std::move(figures);
  }
  absl::StatusOr<std::vector<Pledge>> ListPledges(bool active_only, const PageSpec& page);

  // Streams entries with range.start <= at < range.end as CSV (header row first) in
  // chunks of about `rows_per_chunk` rows. `sink` returns false to stop early
  // (CANCELLED). INVALID_ARGUMENT if start >= end.
  absl::Status ExportCsv(absl::Time start, absl::Time end, int rows_per_chunk,
                         const std::function<bool(const std::string&)>& sink);

  const std::string& base_currency() const { return base_currency_; }

 private:
  ReportStore& reports_;
  CampaignStore& campaigns_;
  Clock& clock_;
  std::string base_currency_;
  std::function<std::optional<int64_t>()> monthly_cost_;
  Logger log_;
  std::function<void()> rates_listener_;
  std::function<std::optional<StorageFigures>()> storage_figures_;
  std::function<AccountabilityFigures()> accountability_figures_;
};

struct Receipt {
  LedgerEntry entry;
  std::string text;
  std::string signature;  // compact signed token over `text` (context kReceiptContext)
};
inline constexpr char kReceiptContext[] = "donation-receipt";

class DonorPortal {
 public:
  DonorPortal(DonorStore& store, const TokenSigner& signer, Clock& clock,
              std::string base_currency);

  // UNAUTHENTICATED if the token is unknown (message never echoes it).
  absl::StatusOr<std::vector<LedgerEntry>> ListMyDonations(absl::string_view donor_token,
                                                           const PageSpec& page);
  // NOT_FOUND if the entry does not exist or is not the donor's.
  absl::StatusOr<Receipt> GetReceipt(absl::string_view donor_token, absl::string_view entry_id);
  // Deletes the donor's personal data; the ledger and totals are unchanged.
  absl::Status Erase(absl::string_view donor_token);
  // Operator erasure on a donor's behalf (the caller checks authorization): the donor
  // of `provider` with this customer id or e-mail (exactly one of them non-empty).
  // INVALID_ARGUMENT naming the field; NOT_FOUND if no personal data matches (never
  // stored, or already erased). Returns the number of donors erased.
  absl::StatusOr<int> EraseByContact(absl::string_view provider, absl::string_view customer_ref,
                                     absl::string_view email);

  // The receipt text for an entry (for tests and verification).
  static std::string ReceiptText(const LedgerEntry& entry, const std::string& base_currency,
                                 const std::optional<DonorInfo>& donor, absl::Time issued_at);

 private:
  absl::StatusOr<std::string> Authenticate(absl::string_view donor_token);

  DonorStore& store_;
  const TokenSigner& signer_;
  Clock& clock_;
  std::string base_currency_;
};

// CSV helpers (RFC 4180 quoting).
std::string CsvHeader();
std::string CsvRow(const LedgerEntry& entry, const std::string& base_currency);

}  // namespace freehold::donations
