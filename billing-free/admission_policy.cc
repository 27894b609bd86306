// AdmissionPolicy: per-account token buckets over the latest assessment.
#include "billing-free/admission_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "billing-free/internal/text.h"

namespace freehold::funding {

absl::Status AdmissionDecision::ToStatus() const {
  if (verdict == AdmissionVerdict::kAdmit) return absl::OkStatus();
  return absl::ResourceExhaustedError(message);
}

AdmissionPolicy::AdmissionPolicy(AdmissionConfig config) : config_(std::move(config)) {
  if (absl::Status s = ValidateAdmissionConfig(config_); !s.ok()) {
    std::cerr << "AdmissionPolicy: invalid config: " << s << "\n";
    std::abort();
  }
  assessment_.budget_bytes_per_second = std::numeric_limits<double>::infinity();
  assessment_.account_rate_limit_bytes_per_second = std::numeric_limits<double>::infinity();
}

double AdmissionPolicy::Depth(double rate) const {
  return rate * absl::ToDoubleSeconds(config_.burst);
}

void AdmissionPolicy::Refill(Bucket& bucket, double rate, absl::Time now) const {
  if (now > bucket.last) {
    double elapsed = absl::ToDoubleSeconds(now - bucket.last);
    bucket.tokens = std::min(Depth(rate), bucket.tokens + rate * elapsed);
    bucket.last = now;
  }
}

void AdmissionPolicy::Update(const FundingOutlook& outlook, const StorageUsage& usage,
                             const RecentWrites& recent, absl::Time now) {
  AdmissionAssessment next = AssessAdmission(outlook, usage, recent, config_);
  absl::MutexLock lock(&mu_);
  if (next.state != AdmissionState::kThrottled || assessment_.state != AdmissionState::kThrottled) {
    buckets_.clear();
  } else {
    double old_rate = assessment_.account_rate_limit_bytes_per_second;
    double new_depth = Depth(next.account_rate_limit_bytes_per_second);
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      Refill(it->second, old_rate, now);
      it->second.tokens = std::min(it->second.tokens, new_depth);
      if (it->second.tokens >= new_depth) {
        buckets_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  assessment_ = std::move(next);
}

AdmissionDecision AdmissionPolicy::Decide(std::string_view account, uint64_t requested_bytes,
                                          absl::Time now) {
  absl::MutexLock lock(&mu_);
  AdmissionDecision decision;
  decision.state = assessment_.state;
  decision.reason = assessment_.reason;
  decision.message = assessment_.message;
  if (assessment_.state == AdmissionState::kOpen || requested_bytes == 0) return decision;
  if (assessment_.state == AdmissionState::kClosed) {
    decision.verdict = AdmissionVerdict::kRefuse;
    return decision;
  }

  const double rate = assessment_.account_rate_limit_bytes_per_second;
  const double depth = Depth(rate);
  auto [it, inserted] = buckets_.try_emplace(std::string(account), Bucket{depth, now});
  Bucket& bucket = it->second;
  Refill(bucket, rate, now);
  const double requested = static_cast<double>(requested_bytes);
  const double needed = std::min(requested, depth);
  if (bucket.tokens >= needed) {
    bucket.tokens -= requested;
    return decision;
  }
  double wait_seconds = std::max(1.0, std::ceil((needed - bucket.tokens) / rate));
  decision.verdict = AdmissionVerdict::kDelay;
  decision.retry_after = absl::Seconds(wait_seconds);
  decision.message = internal::Cat(
      assessment_.message, " Uploads from your account are limited to ", FormatBytes(rate),
      "/s for now; retry in ", absl::StrFormat("%.0f", wait_seconds), " s.");
  return decision;
}

AdmissionAssessment AdmissionPolicy::assessment() const {
  absl::MutexLock lock(&mu_);
  return assessment_;
}

size_t AdmissionPolicy::tracked_accounts() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace freehold::funding
