#include "services/accounts/core/fair_use_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/accounts/core/internal/absl_view.h"

namespace freehold::accounts {
namespace {

constexpr char kRetryPayloadUrl[] = "type.freehold.dev/retry-after-ms";

int64_t CeilMillis(absl::Duration d) {
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))));
}

}  // namespace

absl::Status FairUseConfig::Validate() const {
  if (login_free_failures_per_account < 0) {
    return absl::InvalidArgumentError("--login-free-failures-per-account: must be >= 0");
  }
  if (login_free_failures_per_address < 0) {
    return absl::InvalidArgumentError("--login-free-failures-per-address: must be >= 0");
  }
  if (login_backoff_base <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--login-backoff-base: must be positive");
  }
  if (login_backoff_max < login_backoff_base) {
    return absl::InvalidArgumentError("--login-backoff-max: must be >= --login-backoff-base");
  }
  if (login_failure_memory <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--login-failure-memory: must be positive");
  }
  if (registrations_per_address_per_hour < 0) {
    return absl::InvalidArgumentError("--registrations-per-address-per-hour: must be >= 0");
  }
  if (public_key_lookups_per_account_per_minute < 0) {
    return absl::InvalidArgumentError("--public-key-lookups-per-account-per-minute: must be >= 0");
  }
  if (public_key_lookups_per_address_per_minute < 0) {
    return absl::InvalidArgumentError("--public-key-lookups-per-address-per-minute: must be >= 0");
  }
  if (max_tracked_keys < 1) {
    return absl::InvalidArgumentError("max_tracked_keys: must be >= 1");
  }
  return absl::OkStatus();
}

absl::Status RetryLaterError(std::string_view what, absl::Duration delay) {
  const int64_t ms = CeilMillis(delay);
  absl::Status s =
      absl::ResourceExhaustedError(absl::StrCat(internal::AV(what), "; retry in ", ms, " ms"));
  s.SetPayload(kRetryPayloadUrl, absl::Cord(absl::StrCat(ms)));
  return s;
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kRetryPayloadUrl);
  if (!payload) return std::nullopt;
  int64_t ms;
  if (!absl::SimpleAtoi(std::string(*payload), &ms)) return std::nullopt;
  return absl::Milliseconds(ms);
}

FairUseLimiter::FairUseLimiter(FairUseConfig config, Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

absl::Duration FairUseLimiter::Blocked(const FailureTable& table, std::string_view key,
                                       absl::Time now) const {
  if (key.empty()) return absl::ZeroDuration();
  auto it = table.find(std::string(key));
  if (it == table.end() || it->second.blocked_until <= now) return absl::ZeroDuration();
  return it->second.blocked_until - now;
}

absl::Status FairUseLimiter::CheckLogin(std::string_view handle, std::string_view address) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  const absl::Duration wait =
      std::max(Blocked(by_handle_, handle, now), Blocked(by_address_, address, now));
  if (wait > absl::ZeroDuration()) {
    return RetryLaterError("too many failed logins", wait);
  }
  return absl::OkStatus();
}

void FairUseLimiter::Fail(FailureTable& table, std::string_view key, int free_failures,
                          absl::Time now) {
  if (key.empty()) return;
  auto it = table.find(std::string(key));
  if (it == table.end()) {
    if (table.size() >= config_.max_tracked_keys) Trim(table, now);
    it = table.emplace(std::string(key), Failures{}).first;
  }
  Failures& f = it->second;
  if (f.count > 0 && now - f.last_failure > config_.login_failure_memory) f.count = 0;
  f.count++;
  f.last_failure = now;
  const int over = f.count - free_failures;
  if (over > 0) {
    // base * 2^(over-1), computed in floating point and capped (no overflow).
    const double factor = std::ldexp(1.0, std::min(over - 1, 60));
    const absl::Duration delay =
        std::min(config_.login_backoff_max, config_.login_backoff_base * factor);
    f.blocked_until = now + delay;
  }
}

void FairUseLimiter::Trim(FailureTable& table, absl::Time now) {
  absl::erase_if(table, [&](const auto& kv) {
    return kv.second.blocked_until <= now &&
           now - kv.second.last_failure > config_.login_failure_memory;
  });
  while (table.size() >= config_.max_tracked_keys) {
    auto oldest = table.begin();
    for (auto it = table.begin(); it != table.end(); ++it) {
      if (it->second.last_failure < oldest->second.last_failure) oldest = it;
    }
    table.erase(oldest);
  }
}

void FairUseLimiter::RecordLoginFailure(std::string_view handle, std::string_view address) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  Fail(by_handle_, handle, config_.login_free_failures_per_account, now);
  Fail(by_address_, address, config_.login_free_failures_per_address, now);
}

void FairUseLimiter::RecordLoginSuccess(std::string_view handle) {
  absl::MutexLock lock(&mu_);
  auto it = by_handle_.find(std::string(handle));
  if (it != by_handle_.end()) by_handle_.erase(it);
}

FairUseLimiter::Bucket& FairUseLimiter::Refill(BucketTable& table, std::string_view key,
                                               double capacity, absl::Duration period,
                                               absl::Time now) {
  const double per_second = capacity / absl::ToDoubleSeconds(period);
  auto it = table.find(std::string(key));
  if (it == table.end()) {
    if (table.size() >= config_.max_tracked_keys) {
      // Drop buckets that have refilled completely: they carry no information.
      absl::erase_if(table, [&](const auto& kv) {
        return kv.second.tokens + absl::ToDoubleSeconds(now - kv.second.updated) * per_second >=
               capacity;
      });
      if (table.size() >= config_.max_tracked_keys) table.clear();
    }
    it = table.emplace(std::string(key), Bucket{capacity, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(
      capacity, b.tokens + std::max(0.0, absl::ToDoubleSeconds(now - b.updated)) * per_second);
  b.updated = now;
  return b;
}

absl::Status FairUseLimiter::AcquireRegistration(std::string_view address) {
  if (config_.registrations_per_address_per_hour == 0 || address.empty()) {
    return absl::OkStatus();
  }
  const absl::Time now = clock_.Now();
  const double capacity = config_.registrations_per_address_per_hour;
  absl::MutexLock lock(&mu_);
  Bucket& b = Refill(registrations_, address, capacity, absl::Hours(1), now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return absl::OkStatus();
  }
  const absl::Duration wait = absl::Hours(1) * ((1.0 - b.tokens) / capacity);
  return RetryLaterError("too many registrations from this address", wait);
}

absl::Status FairUseLimiter::AcquireLookup(std::string_view account_id,
                                           std::string_view address) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  Bucket* by_account = nullptr;
  Bucket* by_address = nullptr;
  const double per_account = config_.public_key_lookups_per_account_per_minute;
  const double per_address = config_.public_key_lookups_per_address_per_minute;
  if (per_account > 0 && !account_id.empty()) {
    by_account = &Refill(lookups_by_account_, account_id, per_account, absl::Minutes(1), now);
    if (by_account->tokens < 1.0) {
      return RetryLaterError("too many public key lookups by this account",
                             absl::Minutes(1) * ((1.0 - by_account->tokens) / per_account));
    }
  }
  if (per_address > 0 && !address.empty()) {
    by_address = &Refill(lookups_by_address_, address, per_address, absl::Minutes(1), now);
    if (by_address->tokens < 1.0) {
      return RetryLaterError("too many public key lookups from this address",
                             absl::Minutes(1) * ((1.0 - by_address->tokens) / per_address));
    }
  }
  // Both buckets had a token: take one from each (distinct tables, so both references
  // are still valid).
  if (by_account != nullptr) by_account->tokens -= 1.0;
  if (by_address != nullptr) by_address->tokens -= 1.0;
  return absl::OkStatus();
}

}  // namespace freehold::accounts
