#include "client/cli/user_session.h"

#include "absl/strings/str_cat.h"
#include "client/cli/account_ops.h"

namespace freehold::cli {
namespace {

constexpr absl::Duration kRefreshMargin = absl::Seconds(60);

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Status Expired(absl::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat("your session ", why, ": run `freehold login` again"));
}

}  // namespace

Session UserSession::session() const {
  absl::MutexLock lock(&mu_);
  return session_;
}

absl::StatusOr<std::string> UserSession::AccessToken() {
  absl::MutexLock lock(&mu_);
  if (absl::Now() + kRefreshMargin < session_.access_expires_at) return session_.access_token;
  absl::StatusOr<FileLock> file_lock = store_.Lock();
  if (!file_lock.ok()) return file_lock.status();
  // Another CLI process may have refreshed meanwhile: use its tokens.
  absl::StatusOr<std::optional<Session>> on_disk = store_.Load();
  if (!on_disk.ok()) return on_disk.status();
  if (!on_disk->has_value() || (*on_disk)->account_id != session_.account_id) {
    return Expired("was closed (logged out)");
  }
  session_.access_token = (*on_disk)->access_token;
  session_.access_expires_at = (*on_disk)->access_expires_at;
  session_.refresh_token = (*on_disk)->refresh_token;
  session_.refresh_expires_at = (*on_disk)->refresh_expires_at;
  if (absl::Now() + kRefreshMargin < session_.access_expires_at) return session_.access_token;
  if (absl::Now() >= session_.refresh_expires_at) return Expired("has expired");
  absl::StatusOr<v1::RefreshResponse> fresh = accounts_.Refresh(session_.refresh_token);
  if (!fresh.ok()) {
    const absl::StatusCode code = fresh.status().code();
    if (code == absl::StatusCode::kUnauthenticated || code == absl::StatusCode::kPermissionDenied ||
        code == absl::StatusCode::kNotFound) {
      return Expired("has expired or was revoked");
    }
    return fresh.status();
  }
  session_.access_token = fresh->tokens().access_token();
  session_.access_expires_at = FromProto(fresh->tokens().access_expires_at());
  session_.refresh_token = fresh->tokens().refresh_token();
  session_.refresh_expires_at = FromProto(fresh->tokens().refresh_expires_at());
  if (absl::Status s = store_.Save(session_); !s.ok()) {
    return WithContext(s, "the session was refreshed but could not be saved");
  }
  return session_.access_token;
}

void UserSession::UseOrgIdentity(client::X25519Identity org_naming) {
  absl::MutexLock lock(&mu_);
  org_identity_ = std::move(org_naming);
}

absl::StatusOr<client::X25519Identity> UserSession::Identity(const PasswordSource& passwords) {
  {
    absl::MutexLock lock(&mu_);
    if (org_identity_.has_value()) return org_identity_->Clone();
  }
  return PersonalIdentity(passwords);
}

absl::StatusOr<client::X25519Identity> UserSession::PersonalIdentity(
    const PasswordSource& passwords) {
  absl::MutexLock lock(&mu_);
  if (identity_.has_value()) return identity_->Clone();
  absl::StatusOr<std::optional<client::X25519Identity>> remembered =
      store_.LoadRememberedIdentity();
  if (!remembered.ok()) return remembered.status();
  if (remembered->has_value()) {
    if ((*remembered)->Recipient() != session_.public_key) {
      return absl::FailedPreconditionError(
          absl::StrCat("the remembered identity in ", store_.dir().File("identity"),
                       " belongs to another account: remove it or run `freehold login` again"));
    }
    identity_ = std::move(**remembered);
    return identity_->Clone();
  }
  absl::StatusOr<client::SecretBytes> password =
      passwords.Get(absl::StrCat("Password for ", session_.handle, ": "));
  if (!password.ok()) return password.status();
  absl::StatusOr<client::X25519Identity> id = UnlockIdentity(session_, *password);
  if (!id.ok()) return id.status();
  identity_ = std::move(*id);
  return identity_->Clone();
}

}  // namespace freehold::cli
