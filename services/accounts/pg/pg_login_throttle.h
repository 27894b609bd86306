// LoginThrottle over PostgreSQL (table accounts.login_throttle, migration 0005): every
// replica on the database sees the same counters. Counter keys are
// Pepper::ThrottleKey("h\0<handle>\0<network>") and ("n\0<network>").
#pragma once

#include "common/pg.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/login_throttle.h"

namespace freehold::accounts {

// Thread-safe. `pool` (created with AccountsPoolOptions) and `pepper` must outlive it.
class PgLoginThrottle : public LoginThrottle {
 public:
  PgLoginThrottle(PgPool& pool, const Pepper& pepper, LoginThrottleConfig config);

  absl::StatusOr<bool> Check(std::string_view handle, std::string_view address,
                             absl::Time now) override;
  absl::Status RecordFailure(std::string_view handle, std::string_view address,
                             absl::Time now) override;
  absl::Status RecordSuccess(std::string_view handle, std::string_view address) override;

  // Idle counters are removed by PgAccountRepository::PurgeExpired (maintenance).

 private:
  std::string HandleKey(std::string_view handle, std::string_view address) const;
  std::string NetworkKey(std::string_view address) const;

  PgPool& pool_;
  const Pepper& pepper_;
  const LoginThrottleConfig config_;
};

}  // namespace freehold::accounts
