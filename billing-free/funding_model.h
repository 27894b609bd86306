// The funding model: how much storage the community's donations pay for, and
// for how long. Freehold has no prices and no quotas; instead this model turns
// the donation ledger, the cost model and the measured usage into the figures
// the coordinator exports as metrics, serves over gRPC, and feeds into the
// admission policy (admission_policy.h). Pure computation: no I/O, no clock.
//
// Units. Money is int64 minor units of the base currency (the ledger converts
// every donation at the rate recorded with it). A month is the mean Gregorian
// month, kSecondsPerMonth = 365.2425 * 86400 / 12 = 2,629,746 s. A TiB is 2^40
// bytes. "Logical" bytes are what users stored (ciphertext size); "raw" bytes
// are what the disks hold including erasure-coding overhead.
//
// Formulas (ComputeFunding). Integer arithmetic is exact in 128 bits; "floor"
// and "ceil" are on exact rationals.
//
//   one_off_estimate = max(one_off_trailing_average, one_off_this_month)
//       The trailing average of complete months smooths one-off gifts so a
//       month does not start at zero; once the current month has already
//       received more, the amount actually received is the better estimate.
//   monthly_income   = recurring_monthly + one_off_estimate - refunds_this_month
//       Refunds and chargebacks booked this month are subtracted in full, so a
//       bad month can make income negative.
//   raw_overhead     = raw_bytes / logical_bytes        if logical_bytes > 0
//                    = cost_model.default_raw_overhead  otherwise
//   monthly_cost     = fixed_monthly + ceil(raw_bytes * cost_per_tib_month / 2^40)
//   coverage_ratio   = monthly_income / monthly_cost    if monthly_cost > 0
//                    (cost 0: +inf if income > 0, 1 if income = 0, -inf if < 0)
//   net_burn         = monthly_cost - monthly_income    (per month)
//   runway           = infinite                          if net_burn <= 0
//                    = 0                                 if balance <= 0
//                    = floor(balance * kSecondsPerMonth / net_burn) seconds
//   money_funded_raw = floor(max(0, monthly_income - fixed_monthly) * 2^40
//                            / cost_per_tib_month)       (saturating at 2^64-1)
//       The raw bytes whose per-TiB cost the income left after fixed costs
//       pays for.
//   funded_raw       = money_funded_raw + inkind_raw     (saturating)
//       In-kind donations (donated disks, InKindCapacity) add their audited,
//       available raw capacity as it is: a donated TiB is a TiB nobody has to
//       pay for. Income, cost, coverage and runway stay money only.
//   funded_logical   = floor(funded_raw * logical_bytes / raw_bytes)
//                      (or floor(funded_raw / default_raw_overhead) with no data)
//       This is the funded capacity admission uses; money_funded_logical and
//       inkind_logical are its two parts converted the same way.
//   inkind_value     = floor(inkind_raw * cost_per_tib_month / 2^40)
//       What the donated capacity would cost per month at the cost model's
//       price of provisioned raw disk (capped at kMaxMoneyMinor). Shown beside
//       the money, never added to income.
//   physical_logical = physical_raw_capacity converted the same way
//   time_to_X        = 0                if logical_bytes >= X_logical
//                    = infinite         if growth <= 0
//                    = (X_logical - logical_bytes) / growth seconds
//       for X in {funded, physical}; growth is the logical bytes per second
//       the coordinator measured over its window (may be negative).
//
// Consequences worth knowing: income == cost gives coverage 1, infinite
// runway and funded_logical >= logical_bytes (equal when the variable cost is a
// whole number of minor units); with no donations at all income is 0, funded
// capacity is 0 and runway is balance / cost.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing-free/cost_model.h"

namespace freehold::funding {

inline constexpr int64_t kSecondsPerMonth = 2'629'746;
inline constexpr uint64_t kBytesPerTiB = uint64_t{1} << 40;

// The donations service's funding summary, already in the base currency.
// All amounts are minor units in [0, kMaxMoneyMinor] except balance_minor,
// which may be negative (|balance| <= kMaxMoneyMinor).
struct FundingSummary {
  // Base currency; must equal CostModel::currency. Empty means "no donation
  // recorded yet" and is accepted as the cost model's currency.
  std::string currency;
  // Gross one-off donations booked in the current calendar month so far.
  int64_t one_off_this_month_minor = 0;
  // Refunds and chargebacks booked in the current month, as a positive amount.
  int64_t refunds_this_month_minor = 0;
  // Active recurring pledges, normalised to one month (a yearly pledge counts
  // 1/12 of its amount).
  int64_t recurring_monthly_minor = 0;
  // Mean gross one-off donations per complete month over the trailing window
  // the donations service uses (0 when there is no complete month yet).
  int64_t one_off_trailing_average_minor = 0;
  // Ledger balance: everything received minus refunds minus costs paid.
  int64_t balance_minor = 0;
};

// Usage measured by the coordinator.
struct StorageUsage {
  // Bytes users stored (committed objects, ciphertext size).
  uint64_t logical_bytes = 0;
  // Bytes on disk for them including erasure-coding overhead; must be > 0
  // when logical_bytes > 0.
  uint64_t raw_bytes = 0;
  // Raw capacity of all live (up, not retired) storage nodes.
  uint64_t physical_raw_capacity_bytes = 0;
  // d(logical_bytes)/dt over the coordinator's window; finite, may be < 0.
  double logical_growth_bytes_per_second = 0;
};

// Donated disks (in-kind donations): the audited, available raw capacity of the
// community-run nodes that count now. Which nodes count, and how much of each, is
// decided by the coordinator (coordinator/core/inkind_valuation.h).
struct InKindCapacity {
  uint64_t nodes = 0;      // donated nodes counting
  uint64_t raw_bytes = 0;  // their counted raw capacity
};

// The monthly value of `raw_bytes` of donated disk at the cost model's price of
// provisioned raw disk: floor(raw_bytes * cost_per_tib_month_minor / 2^40),
// capped at kMaxMoneyMinor. The model must be valid.
int64_t InKindValueMinor(uint64_t raw_bytes, const CostModel& cost_model);

// What ComputeFunding derives. Durations use absl::InfiniteDuration() for
// "never"; absl::ToDoubleSeconds() turns that into +Inf, which is what the
// Prometheus gauges export.
struct FundingOutlook {
  std::string currency;              // the cost model's base currency
  int64_t monthly_income_minor = 0;  // may be negative (refunds)
  int64_t monthly_cost_minor = 0;    // >= 0
  double coverage_ratio = 0;         // income / cost, see formulas
  int64_t balance_minor = 0;         // copied from the summary
  absl::Duration runway;             // >= 0, or infinite
  double raw_overhead = 1;           // raw bytes per logical byte
  uint64_t money_funded_raw_bytes = 0;  // what the income pays for
  uint64_t funded_raw_bytes = 0;        // money + in-kind
  uint64_t funded_logical_bytes = 0;    // freehold_funded_capacity_bytes; admission's limit
  uint64_t money_funded_logical_bytes = 0;
  // Donated disks, separate from money (freehold_inkind_*).
  uint64_t inkind_nodes = 0;
  uint64_t inkind_raw_bytes = 0;
  uint64_t inkind_logical_bytes = 0;
  int64_t inkind_value_minor = 0;  // per month, base currency
  uint64_t physical_logical_capacity_bytes = 0;
  absl::Duration time_to_funded_capacity;    // 0 when already reached
  absl::Duration time_to_physical_capacity;  // 0 when already reached
};

// OK, or INVALID_ARGUMENT naming the bad field ("funding summary: ..." or
// "usage: ...").
absl::Status ValidateFundingSummary(const FundingSummary& summary);
absl::Status ValidateStorageUsage(const StorageUsage& usage);

// Applies the formulas above. INVALID_ARGUMENT for an invalid summary, usage or
// cost model, or a summary in another currency than the cost model;
// OUT_OF_RANGE if the monthly cost does not fit in kMaxMoneyMinor.
absl::StatusOr<FundingOutlook> ComputeFunding(const FundingSummary& summary,
                                              const CostModel& cost_model,
                                              const StorageUsage& usage,
                                              const InKindCapacity& inkind = {});

}  // namespace freehold::funding
