#include "services/accounts/core/accounts_options.h"

#include <string>

namespace freehold::accounts {

absl::Status AccountsOptions::Validate() const {
  if (audience.empty()) return absl::InvalidArgumentError("audience: required");
  if (access_token_lifetime < absl::Seconds(10) || access_token_lifetime > absl::Hours(24)) {
    return absl::InvalidArgumentError("--access-token-lifetime: must be between 10s and 24h");
  }
  if (refresh_token_lifetime < access_token_lifetime) {
    return absl::InvalidArgumentError(
        "--refresh-token-lifetime: must be at least --access-token-lifetime");
  }
  if (recovery_challenge_lifetime < absl::Seconds(10) ||
      recovery_challenge_lifetime > absl::Hours(1)) {
    return absl::InvalidArgumentError("--recovery-challenge-lifetime: must be between 10s and 1h");
  }
  if (absl::Status s = ValidateKdf(default_kdf, kdf_bounds, "default_kdf"); !s.ok()) {
    return absl::InvalidArgumentError(std::string("--kdf-default-ops/--kdf-default-mem: ") +
                                      std::string(s.message()));
  }
  return absl::OkStatus();
}

}  // namespace freehold::accounts
