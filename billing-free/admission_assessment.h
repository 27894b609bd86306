// Admission instead of quotas: the pure half of the admission policy. Given the
// funding outlook, the usage and who wrote how much recently, it decides
// whether new writes are OPEN, THROTTLED or CLOSED, why, and the per-account
// write rate while throttled. admission_policy.h applies the result to
// individual write requests with token buckets.
//
// Only new writes (upload grants for new data) are ever subject to admission.
// Reads, downloads, deletes, repair, rebalance, draining, audits and scrubbing
// never pass through it, and stored data is never touched by it.
//
// Rules (AssessAdmission):
//   reserve_raw      = max(physical_reserve_fraction * physical_raw_capacity,
//                          physical_reserve_bytes)
//   usable_raw       = physical_raw_capacity - reserve_raw (0 if negative)
//   CLOSED (reason physical) when raw_bytes >= usable_raw: new writes are
//       refused (RESOURCE_EXHAUSTED) until nodes are added or data deleted.
//   physical_limit   = floor(usable_raw / raw_overhead)          (logical)
//   funding_limit    = funded_logical_bytes, or unlimited when
//                      throttle_on_funding is false
//   limit            = min(funding_limit, physical_limit); the reason is
//                      whichever is smaller (physical on a tie)
//   threshold        = throttle_at * limit
//   OPEN when logical_bytes < threshold: every write admitted, no limit.
//   THROTTLED otherwise (including past the funding limit: lack of funding
//       slows writes down but never refuses them; only full disks do):
//     budget   = max(0, limit - logical_bytes) / throttle_horizon  (bytes/s)
//         The aggregate write rate at which the remaining headroom would
//         last throttle_horizon; it shrinks linearly as usage approaches the
//         limit and is 0 at or past it.
//     demand_a = recent_bytes_a / window for each account a
//     level    = max-min fair (water-filling) level for the demands and the
//                budget: sum over a of min(demand_a, level) = budget; if the
//                demands fit within the budget, level = max demand + spare.
//     per-account rate limit = max(level, min_account_rate_bytes_per_second)
//         Accounts writing less than the level are unaffected; as the budget
//         shrinks the heaviest writers are capped first and small writers only
//         at the very end. The floor keeps everyone able to write slowly.
//   pressure = (logical_bytes - threshold) / (limit - threshold) in [0, 1].
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "billing-free/funding_model.h"

namespace freehold::funding {

// Numeric values are those of the gauge freehold_admission_state.
enum class AdmissionState { kOpen = 0, kThrottled = 1, kClosed = 2 };

enum class AdmissionReason { kNone, kFunding, kPhysicalCapacity };

// "open", "throttled", "closed".
std::string_view AdmissionStateName(AdmissionState state);
// Value of the `reason` label of freehold_admission_throttled_total: "none",
// "funding", "physical_capacity".
std::string_view AdmissionReasonLabel(AdmissionReason reason);

struct AdmissionConfig {
  // Fraction of the limit at which throttling starts, in (0, 1].
  double throttle_at = 0.9;
  // When false, funding never throttles (development clusters and new
  // deployments whose donation intake is not set up yet); physical capacity
  // still does. With it true and no donations yet, funded capacity is 0 and
  // writes are throttled to the floor rate from the start.
  bool throttle_on_funding = true;
  // Raw bytes kept free for repair and rebalancing: the larger of the two, of
  // the physical raw capacity. Fraction in [0, 1).
  double physical_reserve_fraction = 0.05;
  uint64_t physical_reserve_bytes = 0;
  // The headroom left under the limit should last at least this long at the
  // throttled aggregate rate. > 0.
  absl::Duration throttle_horizon = absl::Hours(24 * 30);
  // Floor of every account's write rate while throttled, bytes/s, > 0.
  double min_account_rate_bytes_per_second = 64 * 1024;
  // Token-bucket depth: an account may burst this many seconds of its rate. > 0.
  absl::Duration burst = absl::Seconds(10);
  // Where the "how to help" part of every message points. Non-empty.
  std::string donate_url = "https://freehold.example/donate";
};

// OK, or INVALID_ARGUMENT naming the bad field.
absl::Status ValidateAdmissionConfig(const AdmissionConfig& config);

struct AccountWrites {
  std::string account;  // account id, opaque here
  uint64_t bytes = 0;   // logical bytes the account committed in the window
};

// Per-account writes over the coordinator's recent window (e.g. one hour).
// Accounts that wrote nothing may be omitted.
struct RecentWrites {
  absl::Duration window = absl::Hours(1);  // > 0
  std::vector<AccountWrites> accounts;
};

struct ThrottledAccount {
  std::string account;
  double recent_bytes_per_second = 0;  // its demand over the window
};

struct AdmissionAssessment {
  AdmissionState state = AdmissionState::kOpen;
  AdmissionReason reason = AdmissionReason::kNone;
  double pressure = 0;                   // 0 when open, 1 at or past the limit
  uint64_t limit_logical_bytes = 0;      // min(funding_limit, physical_limit)
  uint64_t threshold_logical_bytes = 0;  // throttling starts here
  uint64_t physical_limit_logical_bytes = 0;
  uint64_t usable_raw_bytes = 0;  // physical capacity minus reserve
  // Aggregate budget and the rate limit of every account while throttled;
  // +inf when open, 0 when closed.
  double budget_bytes_per_second = 0;
  double account_rate_limit_bytes_per_second = 0;
  // Accounts whose recent demand exceeds the rate limit, heaviest first.
  std::vector<ThrottledAccount> throttled_accounts;
  // Why writes are slowed or refused and how to help; empty when open.
  std::string message;
};

// Applies the rules above; pure and deterministic. `config` must pass
// ValidateAdmissionConfig and `recent.window` must be > 0 (a non-positive
// window is treated as one second).
AdmissionAssessment AssessAdmission(const FundingOutlook& outlook, const StorageUsage& usage,
                                    const RecentWrites& recent, const AdmissionConfig& config);

// The max-min fair level for `demands` (each >= 0) sharing `budget` (>= 0):
// the L with sum(min(d, L)) == budget, or max(demands) + (budget - sum) when
// everything fits (budget itself when there are no demands).
double WaterFillLevel(std::span<const double> demands, double budget);

// "1.50 TiB", "512.00 KiB", "17 B": IEC units with two decimals.
std::string FormatBytes(double bytes);

}  // namespace freehold::funding
