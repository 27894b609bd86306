// The account itself: reading it, looking up public keys for sharing, changing the
// password, deleting the account, and the deletion outbox the coordinator consumes.
//
// Status codes: INVALID_ARGUMENT naming the field; UNAUTHENTICATED for a wrong auth key
// ("old_auth_key is wrong" / "auth_key is wrong"); RESOURCE_EXHAUSTED with RetryAfter()
// while backing off after wrong keys; NOT_FOUND for an unknown handle or a deleted
// account; ABORTED if a concurrent password change won; UNAVAILABLE if the database is
// down. Thread-safe; dependencies must outlive the service.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/account_repository.h"
#include "services/accounts/core/accounts_metrics.h"
#include "services/accounts/core/accounts_options.h"
#include "services/accounts/core/fair_use_limiter.h"
#include "services/accounts/core/login_throttle.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

inline constexpr int kDefaultDeletedPage = 100;
inline constexpr int kMaxDeletedPage = 1000;

class AccountService {
 public:
  AccountService(AccountRepository& repo, const Pepper& pepper, FairUseLimiter& limiter,
                 LoginThrottle& throttle,
                 AccountsMetrics& metrics, Clock& clock, const AccountsOptions& options);

  absl::StatusOr<AccountInfo> GetAccount(const AuthContext& auth);
  // {account_id, public key} of a live account, for an authenticated caller (`auth`).
  // RESOURCE_EXHAUSTED (with RetryAfter) beyond the per-account and per-address lookup
  // rates, checked before the handle is looked at, so that handles cannot be enumerated.
  absl::StatusOr<std::pair<std::string, std::string>> GetPublicKey(const AuthContext& auth,
                                                                   const std::string& handle,
                                                                   const Caller& caller);

  // Proves the old auth key, stores the new wrapping and revokes every other session.
  // Auth keys in `password` and `old_auth_key` are wiped.
  absl::Status ChangePassword(const AuthContext& auth, std::string old_auth_key,
                              NewPassword password, const Caller& caller);

  // Same password, stronger Argon2id parameters: proves `auth_key`, requires
  // `password.kdf` to be at least as strong as the stored parameters in both costs and
  // stronger in one (FAILED_PRECONDITION "new_kdf: ..." otherwise), and replaces the
  // credentials; no session ends. Auth keys are wiped.
  absl::Status UpgradeKdf(const AuthContext& auth, std::string auth_key, NewPassword password,
                          const Caller& caller);

  // Proves the auth key; marks the account deleted, revokes its sessions and writes the
  // outbox row in one transaction. `auth_key` is wiped.
  absl::Status DeleteAccount(const AuthContext& auth, std::string auth_key, const Caller& caller);

  // Outbox: rows after `after_sequence` (>= 0), `limit` 0 = default, capped.
  absl::StatusOr<std::vector<DeletedAccountInfo>> ListDeletedAccounts(int64_t after_sequence,
                                                                      uint32_t limit);
  // Ended sessions after `after_sequence` (>= 0), `limit` 0 = default, capped; each
  // with tokens_expire_by = revoked_at + the access-token lifetime.
  absl::StatusOr<std::vector<RevokedSessionInfo>> ListRevokedSessions(int64_t after_sequence,
                                                                      uint32_t limit);
  // `consumer`: 1..64 chars of [a-z0-9_-].
  absl::Status AckDeletedAccounts(int64_t up_to_sequence, const std::string& consumer);

 private:
  // Loads the live account and checks `auth_key` against its verifier (rate limited like
  // logins).
  absl::StatusOr<AccountRecord> ProveAuthKey(const AuthContext& auth, const std::string& auth_key,
                                             const char* field, const Caller& caller);

  AccountRepository& repo_;
  const Pepper& pepper_;
  FairUseLimiter& limiter_;  // registrations and public key lookups
  LoginThrottle& throttle_;  // failed logins, recoveries and auth-key proofs
  AccountsMetrics& metrics_;
  Clock& clock_;
  const AccountsOptions& options_;
};

}  // namespace freehold::accounts
