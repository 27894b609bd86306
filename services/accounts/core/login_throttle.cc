#include "services/accounts/core/login_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace freehold::accounts {

absl::Status LoginThrottleConfig::Validate() const {
  if (free_failures_per_handle < 0 || free_failures_per_handle > 1000) {
    return absl::InvalidArgumentError("--login-free-failures-per-account: must be 0..1000");
  }
  if (free_failures_per_network < 0 || free_failures_per_network > 100000) {
    return absl::InvalidArgumentError("--login-free-failures-per-address: must be 0..100000");
  }
  if (base <= absl::ZeroDuration() || max < base) {
    return absl::InvalidArgumentError(
        "--login-backoff-base/--login-backoff-max: base must be > 0 and <= max");
  }
  if (memory <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--login-failure-memory: must be > 0");
  }
  return absl::OkStatus();
}

absl::Duration LoginThrottleConfig::DelayAfter(int failures, int free) const {
  if (failures <= free) return absl::ZeroDuration();
  const int k = std::min(failures - free - 1, 40);
  absl::Duration d = base;
  for (int i = 0; i < k && d < max; ++i) d *= 2;
  return std::min(d, max);
}

std::string ThrottleNetwork(std::string_view address) {
  const std::string text(address);
  std::array<uint8_t, 16> v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return text;
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return text;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, v6.begin())) {
    return absl::StrCat(v6[12], ".", v6[13], ".", v6[14], ".", v6[15]);
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%x:%x:%x:%x::/64", (v6[0] << 8) | v6[1], (v6[2] << 8) | v6[3],
                (v6[4] << 8) | v6[5], (v6[6] << 8) | v6[7]);
  return buf;
}

}  // namespace freehold::accounts
