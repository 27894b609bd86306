// Fair-use limits (there are no quotas anywhere in Freehold): a cap on registrations
// per source address per hour and on public key lookups. The services take failed
// logins to the shared LoginThrottle (login_throttle.h, in PostgreSQL) instead; the
// in-memory login back-off below (CheckLogin and friends) is kept for single-process
// tools and its unit tests only.
//
// State is kept IN MEMORY, per process. That is exact for a single replica; with N
// replicas behind a load balancer the effective limits are up to N times looser (each
// replica counts on its own). Memory is bounded by `max_tracked_keys` per table; when a
// table is full, idle entries are dropped first, then the oldest ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace freehold::accounts {

struct FairUseConfig {
  // Failed logins allowed without delay, per handle and per source address.
  int login_free_failures_per_account = 5;
  int login_free_failures_per_address = 20;
  // After the free failures, the k-th further failure blocks for base * 2^(k-1),
  // capped at max.
  absl::Duration login_backoff_base = absl::Seconds(1);
  absl::Duration login_backoff_max = absl::Minutes(15);
  // A failure count is forgotten after this long without failures.
  absl::Duration login_failure_memory = absl::Hours(1);
  // Registrations per source address per hour (token bucket); 0 disables the limit.
  int registrations_per_address_per_hour = 10;
  // Public key lookups (GetPublicKey: handle -> account), token buckets per calling
  // account and per source address, so that handles cannot be enumerated; 0 disables.
  int public_key_lookups_per_account_per_minute = 30;
  int public_key_lookups_per_address_per_minute = 120;
  size_t max_tracked_keys = 100000;

  // INVALID_ARGUMENT naming the field (flag) if out of range.
  absl::Status Validate() const;
};

// RESOURCE_EXHAUSTED "<what>; retry in N ms" carrying the delay as a status payload.
absl::Status RetryLaterError(std::string_view what, absl::Duration delay);
// The delay attached by RetryLaterError, if any.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

// Thread-safe.
class FairUseLimiter {
 public:
  FairUseLimiter(FairUseConfig config, Clock& clock);

  // OK, or RESOURCE_EXHAUSTED (with RetryAfter) while `handle` or `address` is backing
  // off. Empty keys are not limited.
  absl::Status CheckLogin(std::string_view handle, std::string_view address);
  void RecordLoginFailure(std::string_view handle, std::string_view address);
  // Clears the handle's failures (the address keeps its count: one success must not
  // wipe out a spray across many handles).
  void RecordLoginSuccess(std::string_view handle);

  // Takes one registration token for `address`, or RESOURCE_EXHAUSTED (with RetryAfter).
  absl::Status AcquireRegistration(std::string_view address);

  // Takes one public key lookup token for `account_id` and for `address` (an empty key
  // is not limited), or RESOURCE_EXHAUSTED (with RetryAfter) taking none.
  absl::Status AcquireLookup(std::string_view account_id, std::string_view address);

 private:
  struct Failures {
    int count = 0;
    absl::Time last_failure;
    absl::Time blocked_until;
  };
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  using FailureTable = absl::flat_hash_map<std::string, Failures>;

  absl::Duration Blocked(const FailureTable& table, std::string_view key, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(FailureTable& table, std::string_view key, int free_failures, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Trim(FailureTable& table, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  using BucketTable = absl::flat_hash_map<std::string, Bucket>;
  // The refilled bucket of `key` (created full), `capacity` tokens refilled over `period`.
  Bucket& Refill(BucketTable& table, std::string_view key, double capacity,
                 absl::Duration period, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FairUseConfig config_;
  Clock& clock_;
  absl::Mutex mu_;
  FailureTable by_handle_ ABSL_GUARDED_BY(mu_);
  FailureTable by_address_ ABSL_GUARDED_BY(mu_);
  BucketTable registrations_ ABSL_GUARDED_BY(mu_);
  BucketTable lookups_by_account_ ABSL_GUARDED_BY(mu_);
  BucketTable lookups_by_address_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::accounts
