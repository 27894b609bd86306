// A shared bandwidth budget for the coordinator's own data movement: drains and
// rebalancing share one (--move-bytes-per-second), repair has its own
// (--repair-bytes-per-second). Thread-safe.
#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace freehold::coordinator {

// Acquire(n) waits until n more bytes fit in `bytes_per_second` (a token bucket holding
// at most one second of bytes; a request larger than that passes once the bucket is full).
class ByteRateLimiter {
 public:
  explicit ByteRateLimiter(double bytes_per_second) : rate_(bytes_per_second) {}
  void Acquire(uint64_t bytes);

 private:
  const double rate_;
  absl::Mutex mu_;
  double available_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace freehold::coordinator
