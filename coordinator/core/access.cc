#include "coordinator/core/access.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/internal/key_files.h"

namespace freehold::coordinator {

bool Caller::IsOperator() const {
  for (const std::string& s : scopes) {
    if (s == kOperatorRoleScope) return true;
  }
  return false;
}

AccessTokenVerifier::AccessTokenVerifier(std::string keys_file, Clock& clock)
    : keys_file_(std::move(keys_file)), clock_(clock) {}

AccessTokenVerifier::AccessTokenVerifier(std::vector<PublicKey> keys, Clock& clock)
    : clock_(clock), verifier_(std::make_shared<TokenVerifier>(keys)) {}

absl::Status AccessTokenVerifier::Reload() {
  if (keys_file_.empty()) return absl::OkStatus();
  std::ifstream in(keys_file_);
  if (!in) {
    return absl::NotFoundError("cannot read --accounts-keys file " + keys_file_);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  {
    absl::MutexLock lock(&mu_);
    if (verifier_ != nullptr && text == loaded_text_) return absl::OkStatus();
  }
  absl::StatusOr<std::vector<PublicKey>> keys = internal::ParsePublicKeysText(text, keys_file_);
  if (!keys.ok()) return keys.status();
  auto verifier = std::make_shared<const TokenVerifier>(*keys);
  absl::MutexLock lock(&mu_);
  verifier_ = std::move(verifier);
  loaded_text_ = std::move(text);
  return absl::OkStatus();
}

std::shared_ptr<const TokenVerifier> AccessTokenVerifier::verifier() const {
  absl::MutexLock lock(&mu_);
  return verifier_;
}

absl::StatusOr<std::string> AccessTokenVerifier::BearerValue(const std::string& authorization) {
  return BearerToken(authorization,
                     "missing access token: send metadata \"authorization: Bearer <token>\"");
}

absl::StatusOr<Caller> AccessTokenVerifier::Authenticate(const std::string& authorization) const {
  absl::StatusOr<std::string> token = BearerValue(authorization);
  if (!token.ok()) return token.status();
  std::shared_ptr<const TokenVerifier> v = verifier();
  if (v == nullptr || v->empty()) {
    return absl::UnavailableError("access-token keys are not loaded yet");
  }
  absl::StatusOr<TokenClaims> claims = VerifyClaims(*v, *token, kTokenAudience, clock_.Now());
  if (!claims.ok()) return claims.status();
  if (deny_list_ != nullptr && !claims->extra.empty() &&
      deny_list_->Contains(claims->extra, clock_.Now())) {
    return absl::UnauthenticatedError("session ended: log in again");
  }
  absl::StatusOr<std::string> account = CanonicalUuid(claims->subject, "token subject");
  if (!account.ok()) return absl::UnauthenticatedError("token subject is not an account id");
  if (!claims->HasScope(kStorageScope) && !claims->HasScope(kOperatorRoleScope)) {
    return absl::PermissionDeniedError("access token lacks the \"storage\" scope");
  }
  Caller caller;
  caller.account_id = *account;
  caller.scopes = claims->scopes;
  return caller;
}

absl::StatusOr<std::optional<Caller>> AccessTokenVerifier::AuthenticateOptional(
    const std::string& authorization) const {
  if (absl::StripAsciiWhitespace(authorization).empty()) return std::optional<Caller>();
  absl::StatusOr<Caller> caller = Authenticate(authorization);
  if (!caller.ok()) return caller.status();
  return std::optional<Caller>(*std::move(caller));
}

absl::StatusOr<Caller> AccessTokenVerifier::AuthenticateOperator(
    const std::string& authorization) const {
  absl::StatusOr<Caller> caller = Authenticate(authorization);
  if (!caller.ok()) {
    if (caller.status().code() == absl::StatusCode::kPermissionDenied) {
      return absl::PermissionDeniedError(
          "operator calls need an access token with the role coordinator:operator");
    }
    return caller.status();
  }
  if (!caller->IsOperator()) {
    return absl::PermissionDeniedError(
        "operator calls need an access token with the role coordinator:operator (granted "
        "by an accounts admin: freehold-admin roles grant HANDLE coordinator:operator)");
  }
  return caller;
}

bool IsOwner(const ObjectRecord& object, const Caller& caller) {
  return !caller.account_id.empty() && caller.account_id == object.owner_account_id;
}

bool MayRead(const ObjectRecord& object, const Caller* caller, bool shared_with_caller) {
  if (object.state != ObjectState::kCommitted) return caller != nullptr && IsOwner(object, *caller);
  if (object.public_link) return true;
  if (caller == nullptr) return shared_with_caller;  // in a linked folder
  return IsOwner(object, *caller) || shared_with_caller;
}

absl::Status ObjectNotFoundError(absl::string_view canonical_object_id) {
  return absl::NotFoundError(absl::StrCat("object ", canonical_object_id, " not found"));
}

}  // namespace freehold::coordinator
