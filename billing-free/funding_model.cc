// ComputeFunding: the formulas documented in funding_model.h.
#include "billing-free/funding_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "billing-free/internal/text.h"

namespace freehold::funding {
namespace {

using int128 = __int128;
using uint128 = unsigned __int128;

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

uint64_t SaturateU64(uint128 value) { return value > kMaxU64 ? kMaxU64 : uint64_t(value); }

absl::Status CheckAmount(std::string_view field, int64_t value, bool may_be_negative) {
  int64_t low = may_be_negative ? -kMaxMoneyMinor : 0;
  if (value < low || value > kMaxMoneyMinor) {
    return absl::InvalidArgumentError(internal::Cat("funding summary: ", field, " must be in ", low,
                                                    "..", kMaxMoneyMinor, " minor units, got ",
                                                    value));
  }
  return absl::OkStatus();
}

// Converts raw bytes to logical bytes at the measured overhead (exact) or, when
// nothing is stored yet, at the configured default.
uint64_t RawToLogical(uint64_t raw, const StorageUsage& usage, double default_overhead) {
  if (usage.logical_bytes > 0) {
    return SaturateU64(uint128{raw} * usage.logical_bytes / usage.raw_bytes);
  }
  long double logical = static_cast<long double>(raw) / default_overhead;
  return logical >= static_cast<long double>(kMaxU64) ? kMaxU64 : static_cast<uint64_t>(logical);
}

absl::Duration TimeToReach(uint64_t target_logical, const StorageUsage& usage) {
  if (usage.logical_bytes >= target_logical) return absl::ZeroDuration();
  if (usage.logical_growth_bytes_per_second <= 0) return absl::InfiniteDuration();
  double headroom = static_cast<double>(target_logical - usage.logical_bytes);
  // absl::Seconds(double) saturates to InfiniteDuration() beyond its range.
  return absl::Seconds(headroom / usage.logical_growth_bytes_per_second);
}

}  // namespace

int64_t InKindValueMinor(uint64_t raw_bytes, const CostModel& cost_model) {
  const uint128 value =
      uint128{raw_bytes} * uint64_t(std::max<int64_t>(0, cost_model.cost_per_tib_month_minor)) /
      kBytesPerTiB;
  return value > uint128(kMaxMoneyMinor) ? kMaxMoneyMinor : static_cast<int64_t>(value);
}

absl::Status ValidateFundingSummary(const FundingSummary& summary) {
  for (auto [field, value] : {
           std::pair{"one_off_this_month_minor", summary.one_off_this_month_minor},
           std::pair{"refunds_this_month_minor", summary.refunds_this_month_minor},
           std::pair{"recurring_monthly_minor", summary.recurring_monthly_minor},
           std::pair{"one_off_trailing_average_minor", summary.one_off_trailing_average_minor},
       }) {
    if (absl::Status s = CheckAmount(field, value, /*may_be_negative=*/false); !s.ok()) return s;
  }
  return CheckAmount("balance_minor", summary.balance_minor, /*may_be_negative=*/true);
}

absl::Status ValidateStorageUsage(const StorageUsage& usage) {
  if (usage.logical_bytes > 0 && usage.raw_bytes == 0) {
    return absl::InvalidArgumentError(internal::Cat(
        "usage: raw_bytes is 0 while logical_bytes is ", usage.logical_bytes,
        "; stored data always occupies raw bytes (logical bytes plus erasure-coding overhead)"));
  }
  if (!std::isfinite(usage.logical_growth_bytes_per_second)) {
    return absl::InvalidArgumentError(
        internal::Cat("usage: logical_growth_bytes_per_second must be finite, got ",
                      usage.logical_growth_bytes_per_second));
  }
  return absl::OkStatus();
}

absl::StatusOr<FundingOutlook> ComputeFunding(const FundingSummary& summary,
                                              const CostModel& cost_model,
                                              const StorageUsage& usage,
                                              const InKindCapacity& inkind) {
  if (absl::Status s = ValidateCostModel(cost_model); !s.ok()) {
    return absl::InvalidArgumentError(internal::Cat("cost model: ", std::string(s.message())));
  }
  if (absl::Status s = ValidateFundingSummary(summary); !s.ok()) return s;
  if (absl::Status s = ValidateStorageUsage(usage); !s.ok()) return s;
  if (!summary.currency.empty() && summary.currency != cost_model.currency) {
    return absl::InvalidArgumentError(
        internal::Cat("funding summary: currency '", summary.currency,
                      "' differs from the cost model's base currency '", cost_model.currency, "'"));
  }

  FundingOutlook out;
  out.currency = cost_model.currency;
  out.balance_minor = summary.balance_minor;

  // Income. Each term is within [0, 1e15], so int64 cannot overflow.
  int64_t one_off_estimate =
      std::max(summary.one_off_trailing_average_minor, summary.one_off_this_month_minor);
  out.monthly_income_minor =
      summary.recurring_monthly_minor + one_off_estimate - summary.refunds_this_month_minor;

  // Cost.
  uint128 variable_scaled =
      uint128{usage.raw_bytes} * uint64_t(cost_model.cost_per_tib_month_minor);
  uint128 variable_cost = (variable_scaled + kBytesPerTiB - 1) / kBytesPerTiB;
  uint128 total_cost = variable_cost + uint64_t(cost_model.fixed_monthly_minor);
  if (total_cost > uint128(kMaxMoneyMinor)) {
    return absl::OutOfRangeError(
        internal::Cat("monthly cost of ", usage.raw_bytes, " raw bytes exceeds ", kMaxMoneyMinor,
                      " minor units; check cost_per_tib_month_minor and the usage figures"));
  }
  out.monthly_cost_minor = static_cast<int64_t>(total_cost);

  // Coverage.
  if (out.monthly_cost_minor > 0) {
    out.coverage_ratio =
        static_cast<double>(out.monthly_income_minor) / static_cast<double>(out.monthly_cost_minor);
  } else if (out.monthly_income_minor > 0) {
    out.coverage_ratio = std::numeric_limits<double>::infinity();
  } else if (out.monthly_income_minor == 0) {
    out.coverage_ratio = 1.0;
  } else {
    out.coverage_ratio = -std::numeric_limits<double>::infinity();
  }

  // Runway.
  int64_t net_burn = out.monthly_cost_minor - out.monthly_income_minor;
  if (net_burn <= 0) {
    out.runway = absl::InfiniteDuration();
  } else if (summary.balance_minor <= 0) {
    out.runway = absl::ZeroDuration();
  } else {
    int128 seconds = int128{summary.balance_minor} * kSecondsPerMonth / net_burn;
    constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max();
    out.runway = absl::Seconds(seconds > kMaxSeconds ? kMaxSeconds : int64_t(seconds));
  }

  // Capacities.
  out.raw_overhead = usage.logical_bytes > 0 ? static_cast<double>(usage.raw_bytes) /
                                                   static_cast<double>(usage.logical_bytes)
                                             : cost_model.default_raw_overhead;
  int64_t surplus = out.monthly_income_minor - cost_model.fixed_monthly_minor;
  out.money_funded_raw_bytes =
      surplus <= 0 ? 0
                   : SaturateU64(uint128(uint64_t(surplus)) * kBytesPerTiB /
                                 uint64_t(cost_model.cost_per_tib_month_minor));
  out.funded_raw_bytes = SaturateU64(uint128{out.money_funded_raw_bytes} + inkind.raw_bytes);
  out.funded_logical_bytes =
      RawToLogical(out.funded_raw_bytes, usage, cost_model.default_raw_overhead);
  out.money_funded_logical_bytes =
      RawToLogical(out.money_funded_raw_bytes, usage, cost_model.default_raw_overhead);
  out.inkind_nodes = inkind.nodes;
  out.inkind_raw_bytes = inkind.raw_bytes;
  out.inkind_logical_bytes = RawToLogical(inkind.raw_bytes, usage, cost_model.default_raw_overhead);
  out.inkind_value_minor = InKindValueMinor(inkind.raw_bytes, cost_model);
  out.physical_logical_capacity_bytes =
      RawToLogical(usage.physical_raw_capacity_bytes, usage, cost_model.default_raw_overhead);

  // Projections.
  out.time_to_funded_capacity = TimeToReach(out.funded_logical_bytes, usage);
  out.time_to_physical_capacity = TimeToReach(out.physical_logical_capacity_bytes, usage);
  return out;
}

}  // namespace freehold::funding
