// Sessions: authenticating access tokens for the accounts service's own calls, refresh
// token rotation with reuse detection, logout, listing and revoking sessions.
//
// A session is a refresh-token family. Every Refresh spends the presented token and
// returns a new one; presenting a spent token again means it was stolen (or the client
// raced itself), so the whole family is revoked and both holders must log in again.
//
// Status codes: INVALID_ARGUMENT naming the field; UNAUTHENTICATED for bad, expired,
// revoked or reused tokens; NOT_FOUND for an unknown session id; UNAVAILABLE if the
// database is down. Thread-safe; dependencies must outlive the service.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "services/accounts/core/roles.h"
#include "services/accounts/core/account_repository.h"
#include "services/accounts/core/accounts_metrics.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

class SessionService {
 public:
  SessionService(AccountRepository& repo, const TokenIssuer& issuer, AccountsMetrics& metrics,
                 Clock& clock);

  // Verifies an access token (signature, audience, expiry) and that its session is still
  // active and its account not deleted. Other services only do the first part.
  absl::StatusOr<AuthContext> Authenticate(std::string_view access_token);

  absl::StatusOr<TokenPair> Refresh(const std::string& refresh_token);
  absl::Status Logout(const AuthContext& auth);
  absl::StatusOr<std::vector<SessionInfo>> ListSessions(const AuthContext& auth);
  absl::Status RevokeSession(const AuthContext& auth, const std::string& session_id);

  // The account's roles go into refreshed access tokens (roles.h). Set once before
  // serving.
  void SetRoleStore(RoleStore* roles) { roles_ = roles; }
  // How often a refresh may write the account's liveness lease (account_repository.h
  // LeaseNeedsRenewal; AccountsOptions::lease_renew_interval). Set once before serving.
  void SetLeaseRenewInterval(absl::Duration d) { lease_renew_interval_ = d; }

 private:
  absl::StatusOr<TokenPair> RefreshChecked(const std::string& refresh_token, bool* reused);

  AccountRepository& repo_;
  RoleStore* roles_ = nullptr;
  absl::Duration lease_renew_interval_ = absl::Hours(24);
  const TokenIssuer& issuer_;
  AccountsMetrics& metrics_;
  Clock& clock_;
};

}  // namespace freehold::accounts
