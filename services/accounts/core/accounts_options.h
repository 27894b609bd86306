// Behavioural options of the accounts core (token lifetimes, KDF policy). Filled from
// flags by main.cc (see accounts_config.h); defaults are production values.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/accounts/core/types.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {

struct AccountsOptions {
  // Audience and scopes claimed by access tokens (brief: audience "freehold").
  std::string audience = "freehold";
  std::vector<std::string> scopes = {"accounts", "storage"};
  absl::Duration access_token_lifetime = absl::Minutes(15);
  absl::Duration refresh_token_lifetime = absl::Hours(24 * 30);
  absl::Duration recovery_challenge_lifetime = absl::Minutes(5);
  // Bounds on client-chosen Argon2id parameters (KdfBounds::Weak() only for tests/dev).
  KdfBounds kdf_bounds = KdfBounds::Production();
  // What PreLogin answers for unknown handles and as recommended_kdf for every handle;
  // clients register, change and upgrade passwords with these.
  // Default: libsodium's MODERATE level (ops 3, 256 MiB).
  KdfParams default_kdf = {3, 256ull << 20, kKdfAlgorithm};
  // A login, recovery or refresh writes the account's liveness lease at most this often
  // (core/account_lifecycle.h). AccountsConfig: a day, or a tenth of a shorter
  // --inactivity-silence.
  absl::Duration lease_renew_interval = absl::Hours(24);

  // INVALID_ARGUMENT naming the field if inconsistent (e.g. default_kdf outside bounds).
  absl::Status Validate() const;
};

}  // namespace freehold::accounts
