// Sign-up and the two ways to obtain a session: password login (PreLogin + Login) and
// recovery-key login (GetRecoveryChallenge + Recover). Zero knowledge: the server sees
// only the Argon2id-derived auth key (checked against its peppered verifier, never
// stored or logged) and opaque wrapped identities.
//
// Anti-enumeration: for an unknown (or deleted) handle PreLogin answers a deterministic
// fake salt with the default parameters, GetRecoveryChallenge answers a challenge that
// can never be satisfied, and Login/Recover fail with exactly the same status and
// message as for a wrong key after the same work (one lookup, one verifier, one
// constant-time compare, one failure record).
//
// Status codes: INVALID_ARGUMENT naming the field; UNAUTHENTICATED
// "handle or password is wrong" (Login) / "recovery proof is wrong or the challenge
// expired" (Recover); RESOURCE_EXHAUSTED with RetryAfter() while backing off;
// ALREADY_EXISTS for a taken handle; UNAVAILABLE if the database is down.
// Thread-safe; all dependencies must outlive the service.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "services/accounts/core/roles.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/account_repository.h"
#include "services/accounts/core/accounts_metrics.h"
#include "services/accounts/core/accounts_options.h"
#include "services/accounts/core/fair_use_limiter.h"
#include "services/accounts/core/login_throttle.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

inline constexpr char kWrongLoginMessage[] = "handle or password is wrong";
inline constexpr char kWrongRecoveryMessage[] = "recovery proof is wrong or the challenge expired";

class LoginService {
 public:
  LoginService(AccountRepository& repo, const Pepper& pepper, FairUseLimiter& limiter,
               LoginThrottle& throttle,
               const TokenIssuer& issuer, AccountsMetrics& metrics, Clock& clock,
               const AccountsOptions& options);

  absl::StatusOr<PreLoginResult> PreLogin(const std::string& handle);
  // Returns the new account id. `input.auth_key` is wiped.
  absl::StatusOr<std::string> Register(RegisterInput input, const Caller& caller);
  // `auth_key` is wiped.
  absl::StatusOr<LoginResult> Login(const std::string& handle, std::string auth_key,
                                    const std::string& device_name, const Caller& caller);

  absl::StatusOr<RecoveryChallenge> GetRecoveryChallenge(const std::string& handle,
                                                         const Caller& caller);
  // On success every other session is revoked and a fresh one is returned (device name
  // "recovery"). `password.auth_key` is wiped.
  absl::StatusOr<LoginResult> Recover(const std::string& handle, const std::string& challenge,
                                      const std::string& proof, NewPassword password,
                                      const Caller& caller);

  // The account's roles go into its access tokens (roles.h). Set once before serving;
  // without it tokens carry the configured scopes only.
  void SetRoleStore(RoleStore* roles) { roles_ = roles; }

 private:
  absl::StatusOr<LoginResult> LoginChecked(const std::string& handle, const std::string& auth_key,
                                           const std::string& device_name, const Caller& caller);
  absl::StatusOr<LoginResult> RecoverChecked(const std::string& handle,
                                             const std::string& challenge, const std::string& proof,
                                             const NewPassword& password, const Caller& caller);

  AccountRepository& repo_;
  RoleStore* roles_ = nullptr;
  const Pepper& pepper_;
  FairUseLimiter& limiter_;  // registrations and public key lookups
  LoginThrottle& throttle_;  // failed logins, recoveries and auth-key proofs
  const TokenIssuer& issuer_;
  AccountsMetrics& metrics_;
  Clock& clock_;
  const AccountsOptions& options_;
  const std::string dummy_verifier_;  // compared against for unknown handles
};

// Validates a new password wrapping (salt, KDF params within bounds, auth key, wrapped
// identity) with field names prefixed by `prefix` ("new_" for ChangePassword/Recover).
absl::Status ValidateNewPassword(const NewPassword& password, const KdfBounds& bounds,
                                 const std::string& prefix);

}  // namespace freehold::accounts
