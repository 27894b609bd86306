#include "services/accounts/core/account_service.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "services/accounts/core/internal/absl_view.h"
#include "services/accounts/core/login_service.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {

AccountService::AccountService(AccountRepository& repo, const Pepper& pepper,
                               FairUseLimiter& limiter, LoginThrottle& throttle,
                               AccountsMetrics& metrics, Clock& clock,
                               const AccountsOptions& options)
    : repo_(repo),
      pepper_(pepper),
      limiter_(limiter),
      throttle_(throttle),
      metrics_(metrics),
      clock_(clock),
      options_(options) {}

absl::StatusOr<AccountInfo> AccountService::GetAccount(const AuthContext& auth) {
  FH_ASSIGN_OR_RETURN(std::optional<AccountRecord> account, repo_.FindById(auth.account_id));
  if (!account || account->deleted) return absl::NotFoundError("account was deleted");
  return AccountInfo{account->account_id, account->handle, account->public_key,
                     account->contact.value_or(""), account->created_at};
}

absl::StatusOr<std::pair<std::string, std::string>> AccountService::GetPublicKey(
    const AuthContext& auth, const std::string& raw_handle, const Caller& caller) {
  FH_RETURN_IF_ERROR(limiter_.AcquireLookup(auth.account_id, caller.address));
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  FH_ASSIGN_OR_RETURN(std::optional<AccountRecord> account, repo_.FindByHandle(handle));
  if (!account || account->deleted) return absl::NotFoundError("handle: no such account");
  return std::make_pair(account->account_id, account->public_key);
}

absl::StatusOr<AccountRecord> AccountService::ProveAuthKey(const AuthContext& auth,
                                                           const std::string& auth_key,
                                                           const char* field,
                                                           const Caller& caller) {
  FH_RETURN_IF_ERROR(ValidateFixedBytes(auth_key, kAuthKeyBytes, field));
  FH_ASSIGN_OR_RETURN(std::optional<AccountRecord> account, repo_.FindById(auth.account_id));
  if (!account || account->deleted) return absl::NotFoundError("account was deleted");
  FH_RETURN_IF_ERROR(throttle_.Check(account->handle, caller.address, clock_.Now()).status());
  std::string verifier = pepper_.Verifier(auth_key);
  const bool match = SecureEquals(verifier, account->credentials.verifier);
  SecureZero(verifier);
  if (!match) {
    (void)throttle_.RecordFailure(account->handle, caller.address, clock_.Now());  // best effort
    return absl::UnauthenticatedError(absl::StrCat(field, " is wrong"));
  }
  return *std::move(account);
}

absl::Status AccountService::ChangePassword(const AuthContext& auth, std::string old_auth_key,
                                            NewPassword password, const Caller& caller) {
  absl::Status s = [&]() -> absl::Status {
    FH_RETURN_IF_ERROR(ValidateFixedBytes(old_auth_key, kAuthKeyBytes, "old_auth_key"));
    FH_RETURN_IF_ERROR(ValidateNewPassword(password, options_.kdf_bounds, "new_"));
    FH_ASSIGN_OR_RETURN(AccountRecord account,
                        ProveAuthKey(auth, old_auth_key, "old_auth_key", caller));
    Credentials creds{password.salt, password.kdf, pepper_.Verifier(password.auth_key),
                      password.wrapped_identity};
    absl::Status r =
        repo_.ReplaceCredentials(auth.account_id, creds, account.credentials.verifier,
                                 auth.session_id, std::nullopt, "password_changed", clock_.Now());
    SecureZero(creds.verifier);
    if (r.code() == absl::StatusCode::kFailedPrecondition) {
      return absl::AbortedError("the password was changed concurrently; retry");
    }
    return r;
  }();
  SecureZero(old_auth_key);
  SecureZero(password.auth_key);
  return s;
}

absl::Status AccountService::UpgradeKdf(const AuthContext& auth, std::string auth_key,
                                        NewPassword password, const Caller& caller) {
  absl::Status s = [&]() -> absl::Status {
    FH_RETURN_IF_ERROR(ValidateFixedBytes(auth_key, kAuthKeyBytes, "auth_key"));
    FH_RETURN_IF_ERROR(ValidateNewPassword(password, options_.kdf_bounds, "new_"));
    FH_ASSIGN_OR_RETURN(AccountRecord account, ProveAuthKey(auth, auth_key, "auth_key", caller));
    const KdfParams& old = account.credentials.kdf;
    const KdfParams& next = password.kdf;
    if (next.ops_limit < old.ops_limit || next.mem_limit_bytes < old.mem_limit_bytes ||
        (next.ops_limit == old.ops_limit && next.mem_limit_bytes == old.mem_limit_bytes)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "new_kdf: must be stronger than the current parameters (ops ", old.ops_limit,
          ", memory ", old.mem_limit_bytes, " bytes) and weaker in neither"));
    }
    Credentials creds{password.salt, password.kdf, pepper_.Verifier(password.auth_key),
                      password.wrapped_identity};
    absl::Status r = repo_.UpgradeCredentials(auth.account_id, creds,
                                              account.credentials.verifier, clock_.Now());
    SecureZero(creds.verifier);
    if (r.code() == absl::StatusCode::kFailedPrecondition) {
      return absl::AbortedError("the password was changed concurrently; retry");
    }
    return r;
  }();
  SecureZero(auth_key);
  SecureZero(password.auth_key);
  return s;
}

absl::Status AccountService::DeleteAccount(const AuthContext& auth, std::string auth_key,
                                           const Caller& caller) {
  absl::Status s = [&]() -> absl::Status {
    FH_RETURN_IF_ERROR(ProveAuthKey(auth, auth_key, "auth_key", caller).status());
    FH_RETURN_IF_ERROR(repo_.DeleteAccount(auth.account_id, clock_.Now()).status());
    metrics_.Deletion();
    return absl::OkStatus();
  }();
  SecureZero(auth_key);
  return s;
}

absl::StatusOr<std::vector<DeletedAccountInfo>> AccountService::ListDeletedAccounts(
    int64_t after_sequence, uint32_t limit) {
  if (after_sequence < 0) return absl::InvalidArgumentError("after_sequence: must be >= 0");
  const int n = limit == 0 ? kDefaultDeletedPage
                           : static_cast<int>(std::min<uint32_t>(limit, kMaxDeletedPage));
  return repo_.ListDeletedAccounts(after_sequence, n);
}

absl::StatusOr<std::vector<RevokedSessionInfo>> AccountService::ListRevokedSessions(
    int64_t after_sequence, uint32_t limit) {
  if (after_sequence < 0) return absl::InvalidArgumentError("after_sequence: must be >= 0");
  const int n = limit == 0 ? kDefaultDeletedPage
                           : static_cast<int>(std::min<uint32_t>(limit, kMaxDeletedPage));
  absl::StatusOr<std::vector<RevokedSessionInfo>> rows =
      repo_.ListRevokedSessions(after_sequence, n);
  if (!rows.ok()) return rows.status();
  for (RevokedSessionInfo& r : *rows) {
    r.tokens_expire_by = r.revoked_at + options_.access_token_lifetime;
  }
  return rows;
}

absl::Status AccountService::AckDeletedAccounts(int64_t up_to_sequence,
                                                const std::string& consumer) {
  if (up_to_sequence < 0) return absl::InvalidArgumentError("up_to_sequence: must be >= 0");
  if (consumer.empty() || consumer.size() > 64) {
    return absl::InvalidArgumentError("consumer: 1 to 64 characters required");
  }
  for (char c : consumer) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return absl::InvalidArgumentError("consumer: only a-z, 0-9, _ and - are allowed");
    }
  }
  return repo_.AckDeletedAccounts(consumer, up_to_sequence, clock_.Now());
}

}  // namespace freehold::accounts
