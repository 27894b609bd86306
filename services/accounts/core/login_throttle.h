// Login throttling shared by every accounts replica (the PostgreSQL implementation is
// pg/pg_login_throttle.h): growing delays after failed logins, recovery attempts and
// wrong auth keys, never a hard lockout.
//
// Two counters are consulted and bumped per attempt:
//  - the handle FROM the caller's network (IPv4 address, or IPv6 /64): guessing one
//    person's password from one network backs off, but it does not lock that person
//    out from any other network, so nobody can lock another out;
//  - the network alone (password spraying over many handles).
// After `free` failures, the k-th further failure blocks the key for
// base * 2^(k-1), capped at `max`; a key's count is forgotten after `memory` without
// failures. A successful login clears the handle-from-network counter only (one
// success must not wipe out a spray).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace freehold::accounts {

struct LoginThrottleConfig {
  int free_failures_per_handle = 5;    // per handle from one network
  int free_failures_per_network = 20;  // per network, over all handles
  absl::Duration base = absl::Seconds(1);
  absl::Duration max = absl::Minutes(15);
  absl::Duration memory = absl::Hours(1);

  // INVALID_ARGUMENT naming the flag if out of range.
  absl::Status Validate() const;
  // The block after the `failures`-th failure with `free` free ones (zero if none).
  absl::Duration DelayAfter(int failures, int free) const;
};

// The network an address belongs to for throttling: an IPv4 address itself (also
// when written as IPv4-mapped IPv6), the /64 of an IPv6 address ("2001:db8:1:2::/64"),
// or the text as given if it parses as neither (e.g. a Unix socket peer).
std::string ThrottleNetwork(std::string_view address);

// Thread-safe. Every method may return UNAVAILABLE (database down).
class LoginThrottle {
 public:
  virtual ~LoginThrottle() = default;
  // RESOURCE_EXHAUSTED "too many failed attempts ...; retry in N ms" (with
  // RetryAfter, fair_use_limiter.h) while `handle` from `address`'s network or the
  // network is blocked; otherwise whether `handle` from that network has failures on
  // record (only then does a success need RecordSuccess). One database round trip.
  virtual absl::StatusOr<bool> Check(std::string_view handle, std::string_view address,
                                     absl::Time now) = 0;
  virtual absl::Status RecordFailure(std::string_view handle, std::string_view address,
                                     absl::Time now) = 0;
  virtual absl::Status RecordSuccess(std::string_view handle, std::string_view address) = 0;
};

}  // namespace freehold::accounts
