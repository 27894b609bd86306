// AssessAdmission and water-filling: the rules documented in
// admission_assessment.h.
#include "billing-free/admission_assessment.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "billing-free/internal/text.h"

namespace freehold::funding {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

uint64_t FloorToU64(long double value) {
  if (!(value > 0)) return 0;
  if (value >= static_cast<long double>(kMaxU64)) return kMaxU64;
  return static_cast<uint64_t>(value);
}

int Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return 100;
  return static_cast<int>(std::floor(100.0L * part / whole));
}

std::string ThrottledMessage(AdmissionReason reason, uint64_t used, uint64_t limit,
                             const AdmissionConfig& config) {
  std::string why =
      reason == AdmissionReason::kFunding
          ? absl::StrFormat("Freehold stores %s, %d%% of the %s that current donations pay for.",
                            FormatBytes(used), Percent(used, limit), FormatBytes(limit))
          : absl::StrFormat("Freehold's disks are %d%% full (%s of %s usable).",
                            Percent(used, limit), FormatBytes(used), FormatBytes(limit));
  std::string help = reason == AdmissionReason::kFunding
                         ? "A donation raises the funded capacity and lifts the limit: "
                         : "Donations pay for more disks: ";
  return internal::Cat(
      "New uploads are being slowed down: ", why,
      " The accounts that uploaded the most recently are slowed first. Reading, downloading, "
      "deleting and files already stored are not affected. ",
      help, config.donate_url);
}

std::string ClosedMessage(uint64_t raw_used, uint64_t usable_raw, uint64_t physical_raw,
                          const AdmissionConfig& config) {
  std::string why = physical_raw == 0
                        ? std::string("no storage node is available.")
                        : absl::StrFormat(
                              "Freehold's disks are full (%s of %s usable, %s kept in reserve "
                              "for repairs).",
                              FormatBytes(raw_used), FormatBytes(usable_raw),
                              FormatBytes(physical_raw - usable_raw));
  return internal::Cat(
      "New uploads are paused: ", why,
      " Your stored files are safe; reading, downloading and deleting still work. Uploads "
      "resume when storage is added. Donations pay for more disks: ",
      config.donate_url);
}

}  // namespace

std::string_view AdmissionStateName(AdmissionState state) {
  switch (state) {
    case AdmissionState::kOpen:
      return "open";
    case AdmissionState::kThrottled:
      return "throttled";
    case AdmissionState::kClosed:
      return "closed";
  }
  return "unknown";
}

std::string_view AdmissionReasonLabel(AdmissionReason reason) {
  switch (reason) {
    case AdmissionReason::kNone:
      return "none";
    case AdmissionReason::kFunding:
      return "funding";
    case AdmissionReason::kPhysicalCapacity:
      return "physical_capacity";
  }
  return "unknown";
}

absl::Status ValidateAdmissionConfig(const AdmissionConfig& config) {
  if (!(config.throttle_at > 0 && config.throttle_at <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("throttle_at: must be in (0, 1], got %g", config.throttle_at));
  }
  if (!(config.physical_reserve_fraction >= 0 && config.physical_reserve_fraction < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "physical_reserve_fraction: must be in [0, 1), got %g", config.physical_reserve_fraction));
  }
  if (config.throttle_horizon <= absl::ZeroDuration() ||
      config.throttle_horizon == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        internal::Cat("throttle_horizon: must be positive and finite, got ",
                      absl::FormatDuration(config.throttle_horizon)));
  }
  if (!(config.min_account_rate_bytes_per_second > 0) ||
      !std::isfinite(config.min_account_rate_bytes_per_second)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("min_account_rate_bytes_per_second: must be positive and finite, got %g",
                        config.min_account_rate_bytes_per_second));
  }
  if (config.burst <= absl::ZeroDuration() || config.burst == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(internal::Cat("burst: must be positive and finite, got ",
                                                    absl::FormatDuration(config.burst)));
  }
  if (config.donate_url.empty()) {
    return absl::InvalidArgumentError(
        "donate_url: must not be empty; every throttle message tells users how to help");
  }
  return absl::OkStatus();
}

double WaterFillLevel(std::span<const double> demands, double budget) {
  if (demands.empty()) return budget;
  std::vector<double> sorted(demands.begin(), demands.end());
  std::sort(sorted.begin(), sorted.end());
  double remaining = budget;
  for (size_t i = 0; i < sorted.size(); ++i) {
    double share = remaining / static_cast<double>(sorted.size() - i);
    if (sorted[i] > share) return share;
    remaining -= sorted[i];
  }
  return sorted.back() + remaining;
}

std::string FormatBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return absl::StrFormat("%.0f B", std::max(bytes, 0.0));
  int unit = 0;
  while (bytes >= 1024 && unit < 6) {
    bytes /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.2f %s", bytes, kUnits[unit]);
}

AdmissionAssessment AssessAdmission(const FundingOutlook& outlook, const StorageUsage& usage,
                                    const RecentWrites& recent, const AdmissionConfig& config) {
  AdmissionAssessment out;
  const uint64_t physical_raw = usage.physical_raw_capacity_bytes;
  uint64_t reserve = std::max(
      FloorToU64(static_cast<long double>(physical_raw) * config.physical_reserve_fraction),
      config.physical_reserve_bytes);
  out.usable_raw_bytes = physical_raw > reserve ? physical_raw - reserve : 0;

  if (usage.raw_bytes >= out.usable_raw_bytes) {
    out.state = AdmissionState::kClosed;
    out.reason = AdmissionReason::kPhysicalCapacity;
    out.pressure = 1;
    out.message = ClosedMessage(usage.raw_bytes, out.usable_raw_bytes, physical_raw, config);
    return out;
  }

  double overhead = outlook.raw_overhead >= 1 ? outlook.raw_overhead : 1;
  out.physical_limit_logical_bytes =
      FloorToU64(static_cast<long double>(out.usable_raw_bytes) / overhead);
  uint64_t funding_limit = config.throttle_on_funding ? outlook.funded_logical_bytes : kMaxU64;
  bool funding_binds = funding_limit < out.physical_limit_logical_bytes;
  out.limit_logical_bytes = funding_binds ? funding_limit : out.physical_limit_logical_bytes;
  out.threshold_logical_bytes =
      FloorToU64(static_cast<long double>(out.limit_logical_bytes) * config.throttle_at);

  const uint64_t used = usage.logical_bytes;
  if (used < out.threshold_logical_bytes) {
    out.budget_bytes_per_second = kInf;
    out.account_rate_limit_bytes_per_second = kInf;
    return out;
  }

  out.state = AdmissionState::kThrottled;
  out.reason = funding_binds ? AdmissionReason::kFunding : AdmissionReason::kPhysicalCapacity;
  uint64_t span = out.limit_logical_bytes - out.threshold_logical_bytes;
  out.pressure = span == 0 || used >= out.limit_logical_bytes
                     ? 1.0
                     : static_cast<double>(used - out.threshold_logical_bytes) / span;
  uint64_t headroom = used < out.limit_logical_bytes ? out.limit_logical_bytes - used : 0;
  out.budget_bytes_per_second =
      static_cast<double>(headroom) / absl::ToDoubleSeconds(config.throttle_horizon);

  double window = absl::ToDoubleSeconds(recent.window);
  if (!(window > 0)) window = 1;
  std::vector<double> demands;
  demands.reserve(recent.accounts.size());
  for (const AccountWrites& a : recent.accounts) {
    demands.push_back(static_cast<double>(a.bytes) / window);
  }
  double level = WaterFillLevel(demands, out.budget_bytes_per_second);
  out.account_rate_limit_bytes_per_second =
      std::max(level, config.min_account_rate_bytes_per_second);
  for (size_t i = 0; i < demands.size(); ++i) {
    if (demands[i] > out.account_rate_limit_bytes_per_second) {
      out.throttled_accounts.push_back({recent.accounts[i].account, demands[i]});
    }
  }
  std::sort(out.throttled_accounts.begin(), out.throttled_accounts.end(),
            [](const ThrottledAccount& a, const ThrottledAccount& b) {
              if (a.recent_bytes_per_second != b.recent_bytes_per_second) {
                return a.recent_bytes_per_second > b.recent_bytes_per_second;
              }
              return a.account < b.account;
            });
  out.message = ThrottledMessage(out.reason, used, out.limit_logical_bytes, config);
  return out;
}

}  // namespace freehold::funding
