// Storage seams of the donations read side (campaigns, reports, donor portal,
// export, exchange rates). The PostgreSQL adapter implements all of them. Thread-safe;
// errors are the adapter's mapped statuses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/donations/core/exchange_rate.h"
#include "services/donations/core/types.h"

namespace freehold::donations {

struct Campaign {
  std::string campaign_id;  // UUID
  std::string title;
  std::string description;
  int64_t goal_base_minor = 0;
  std::optional<absl::Time> start;  // open-ended when absent
  std::optional<absl::Time> end;
  absl::Time created_at;
  // Computed from the ledger when read:
  int64_t raised_base_minor = 0;  // net of reversals
  uint64_t donations = 0;         // payments
};

class CampaignStore {
 public:
  virtual ~CampaignStore() = default;
  virtual absl::Status CreateCampaign(const Campaign& campaign) = 0;
  // NOT_FOUND if there is no such campaign.
  virtual absl::StatusOr<Campaign> GetCampaign(absl::string_view campaign_id) = 0;
  // Ordered by creation time; `live_only` keeps campaigns with start <= now < end.
  virtual absl::StatusOr<std::vector<Campaign>> ListCampaigns(bool live_only, absl::Time now,
                                                              int offset, int limit) = 0;
  // Sets the campaign's end to `at` unless it ends earlier already. NOT_FOUND if there
  // is no such campaign. Default: UNIMPLEMENTED.
  virtual absl::Status CloseCampaign(absl::string_view campaign_id, absl::Time at) {
    return absl::UnimplementedError("this store cannot close campaigns");
  }
};

struct MonthTotal {
  std::string month;  // "YYYY-MM" (UTC)
  std::string currency;
  int64_t gross_minor = 0;
  int64_t reversed_minor = 0;  // positive
  int64_t net_minor = 0;
  int64_t net_base_minor = 0;
};

struct Pledge {
  PledgeInfo info;
  bool active = true;
};

class ReportStore {
 public:
  virtual ~ReportStore() = default;
  // Upserts rates (same currency and effective_from replaces, except that a kFile row
  // never replaces a kManual one). Returns rows given.
  virtual absl::StatusOr<int> SetExchangeRates(const std::vector<RateRow>& rows,
                                               RateSource source) = 0;
  // For each currency, the row that applies at `at`.
  virtual absl::StatusOr<std::vector<RateRow>> RatesAt(absl::Time at) = 0;
  // Per month and currency, entries with at >= since, newest month first.
  virtual absl::StatusOr<std::vector<MonthTotal>> MonthTotals(absl::Time since) = 0;
  // Net base amount of entries with start <= at < end; `one_off_only` keeps one-off
  // payments and their reversals.
  virtual absl::StatusOr<int64_t> NetBase(absl::Time start, absl::Time end, bool one_off_only) = 0;
  // All-time net base amount.
  virtual absl::StatusOr<int64_t> BalanceBase() = 0;
  // Identified donors plus anonymous payments.
  virtual absl::StatusOr<uint64_t> DonorCount() = 0;
  virtual absl::StatusOr<std::vector<Pledge>> ListPledges(bool active_only, int offset,
                                                          int limit) = 0;
  // Entries with start <= at < end in insertion order, after the cursor (0 = from the
  // start); returns the entries and the cursor of the last one.
  virtual absl::StatusOr<std::pair<std::vector<LedgerEntry>, int64_t>> ExportEntries(
      absl::Time start, absl::Time end, int64_t after_cursor, int limit) = 0;
};

class DonorStore {
 public:
  virtual ~DonorStore() = default;
  // The donor a token hash belongs to, or nullopt.
  virtual absl::StatusOr<std::optional<std::string>> FindDonorByTokenHash(
      absl::string_view token_hash) = 0;
  // The donor's entries (payments and their reversals), newest first.
  virtual absl::StatusOr<std::vector<LedgerEntry>> ListDonorEntries(absl::string_view donor_id,
                                                                    int offset, int limit) = 0;
  virtual absl::StatusOr<std::optional<LedgerEntry>> GetEntry(absl::string_view entry_id) = 0;
  // Personal data, or nullopt once erased.
  virtual absl::StatusOr<std::optional<DonorInfo>> PersonalData(absl::string_view donor_id) = 0;
  // True if `other` is `donor_id` or a donor `donor_id` claimed by e-mail
  // (core/donation_claims.h): its entries are `donor_id`'s to see.
  virtual absl::StatusOr<bool> IsSameOrClaimedDonor(absl::string_view donor_id,
                                                    absl::string_view other) {
    return donor_id == other;
  }
  // Deletes the donor's personal data (and that of the donors they claimed, and inside
  // kept raw bodies); the ledger is untouched. OK if already erased.
  virtual absl::Status ErasePersonalData(absl::string_view donor_id) = 0;
  // Deletes the personal data of every donor of `provider` whose customer id equals
  // `customer_ref` (if non-empty) or whose e-mail equals `email` (if non-empty, compared
  // case-insensitively). Returns how many donors were erased (0 if none matched).
  virtual absl::StatusOr<int> ErasePersonalDataByContact(absl::string_view provider,
                                                         absl::string_view customer_ref,
                                                         absl::string_view email) = 0;
};

}  // namespace freehold::donations
