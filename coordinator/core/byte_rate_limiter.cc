#include "coordinator/core/byte_rate_limiter.h"

#include <algorithm>

namespace freehold::coordinator {

void ByteRateLimiter::Acquire(uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  double need = static_cast<double>(bytes);
  for (;;) {
    const absl::Time now = absl::Now();
    if (last_ != absl::InfinitePast()) {
      available_ = std::min(rate_, available_ + rate_ * absl::ToDoubleSeconds(now - last_));
    } else {
      available_ = rate_;
    }
    last_ = now;
    // A request larger than one second of budget is let through once the bucket is full.
    if (available_ >= std::min(need, rate_)) {
      available_ -= need;
      return;
    }
    const double wait = (std::min(need, rate_) - available_) / rate_;
    mu_.Unlock();
    absl::SleepFor(absl::Seconds(wait));
    mu_.Lock();
  }
}

}  // namespace freehold::coordinator
