#include "services/accounts/core/session_service.h"

#include <tuple>

#include "common/secure_compare.h"
#include "common/status.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {

SessionService::SessionService(AccountRepository& repo, const TokenIssuer& issuer,
                               AccountsMetrics& metrics, Clock& clock)
    : repo_(repo), issuer_(issuer), metrics_(metrics), clock_(clock) {}

absl::StatusOr<AuthContext> SessionService::Authenticate(std::string_view access_token) {
  const absl::Time now = clock_.Now();
  FH_ASSIGN_OR_RETURN(AuthContext auth, issuer_.VerifyAccessToken(access_token, now));
  FH_ASSIGN_OR_RETURN(bool active, repo_.IsSessionActive(auth.account_id, auth.session_id, now));
  if (!active) return absl::UnauthenticatedError("session was revoked or has expired");
  return auth;
}

absl::StatusOr<TokenPair> SessionService::Refresh(const std::string& refresh_token) {
  bool reused = false;
  absl::StatusOr<TokenPair> result = RefreshChecked(refresh_token, &reused);
  metrics_.Refresh(result.status(), reused);
  return result;
}

absl::StatusOr<TokenPair> SessionService::RefreshChecked(const std::string& refresh_token,
                                                         bool* reused) {
  FH_ASSIGN_OR_RETURN(DecodedRefreshToken old, TokenIssuer::DecodeRefreshToken(refresh_token));
  const std::string old_hash = HashRefreshToken(old.raw);
  SecureZero(old.raw);
  const absl::Time now = clock_.Now();
  IssuedTokens fresh = issuer_.NewRefreshToken(old.session_id, now);
  FH_ASSIGN_OR_RETURN(RefreshResult r,
                      repo_.RotateRefreshToken(old.session_id, old_hash, fresh.refresh_hash,
                                               fresh.tokens.refresh_expires_at, now));
  switch (r.outcome) {
    case RefreshOutcome::kRotated:
      break;
    case RefreshOutcome::kReused:
      *reused = true;
      return absl::UnauthenticatedError(
          "refresh token was already used; the session has been revoked, log in again");
    case RefreshOutcome::kExpired:
      return absl::UnauthenticatedError("refresh token expired; log in again");
    case RefreshOutcome::kRevoked:
      return absl::UnauthenticatedError("session was revoked; log in again");
    case RefreshOutcome::kUnknown:
      return absl::UnauthenticatedError("refresh token is not valid");
  }
  // A refresh is authenticated use: renews the liveness lease when due (one more round
  // trip at most once per renew interval per account).
  if (LeaseNeedsRenewal(r.last_seen_at, r.lease_lapsed, now, lease_renew_interval_)) {
    FH_RETURN_IF_ERROR(repo_.RenewLease(r.account_id, now, now - lease_renew_interval_));
  }
  std::vector<std::string> roles;
  if (roles_ != nullptr) {
    FH_ASSIGN_OR_RETURN(roles, roles_->RolesOf(r.account_id));
  }
  TokenPair out = std::move(fresh.tokens);
  std::tie(out.access_token, out.access_expires_at) =
      issuer_.IssueAccessToken(r.account_id, r.session_id, now, roles);
  return out;
}

absl::Status SessionService::Logout(const AuthContext& auth) {
  return repo_.RevokeSession(auth.account_id, auth.session_id, "logout", clock_.Now());
}

absl::StatusOr<std::vector<SessionInfo>> SessionService::ListSessions(const AuthContext& auth) {
  FH_ASSIGN_OR_RETURN(std::vector<SessionRecord> records,
                      repo_.ListActiveSessions(auth.account_id, clock_.Now()));
  std::vector<SessionInfo> out;
  out.reserve(records.size());
  for (auto& r : records) {
    out.push_back(SessionInfo{r.session_id, r.device_name, r.created_at, r.last_used_at,
                              r.session_id == auth.session_id});
  }
  return out;
}

absl::Status SessionService::RevokeSession(const AuthContext& auth, const std::string& session_id) {
  FH_RETURN_IF_ERROR(ValidateUuid(session_id, "session_id"));
  absl::Status s = repo_.RevokeSession(auth.account_id, session_id, "revoked", clock_.Now());
  if (s.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError("session_id: no active session with that id");
  }
  return s;
}

}  // namespace freehold::accounts
