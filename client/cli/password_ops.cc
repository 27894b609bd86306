#include "client/cli/password_ops.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/exit_codes.h"
#include "client/cli/rpc.h"
#include "client/core/account_keys.h"

namespace freehold::cli {
namespace {

using client::PwhashParams;
using client::SecretBytes;

std::string AsString(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void SetKdf(const PwhashParams& p, v1::KdfParams* out) {
  out->set_ops_limit(p.opslimit);
  out->set_mem_limit_bytes(p.memlimit);
  out->set_algorithm("argon2id13");
}

// RESOURCE_EXHAUSTED from the server's back-off, with the wait in the message.
absl::Status BackingOff(const absl::Status& s, const char* what) {
  std::string wait;
  if (std::optional<absl::Duration> d = RetryAfterOf(s)) {
    wait = absl::StrCat(" Try again in ", absl::ToInt64Seconds(*d) + 1, " s.");
  }
  return absl::ResourceExhaustedError(
      absl::StrCat(what, " refused for now: too many failed attempts for this handle from this "
                         "network.",
                   wait));
}

}  // namespace

absl::StatusOr<Session> ChangePassword(AccountsApi& accounts, const Session& session,
                                       const std::string& access_token,
                                       const SecretBytes& old_password,
                                       const SecretBytes& new_password,
                                       const AccountOpsOptions& options) {
  if (old_password.Equals(new_password)) {
    return UsageError("the new password is the same as the current one; nothing was changed");
  }
  if (absl::Status s = CheckNewPassword(new_password, session.handle); !s.ok()) return s;
  absl::StatusOr<v1::PreLoginResponse> pre = accounts.PreLogin(session.handle);
  if (!pre.ok()) return pre.status();
  if (pre->salt() != AsString(session.password_salt)) {
    return absl::FailedPreconditionError(
        "the password was changed on another device since this device logged in: run "
        "`freehold login` with the current password, then `freehold passwd` again");
  }
  absl::StatusOr<client::DerivedKeys> old_keys =
      client::DeriveKeys(old_password.view(), session.password_salt, session.kdf);
  if (!old_keys.ok()) return old_keys.status();
  absl::StatusOr<client::X25519Identity> identity =
      client::UnwrapIdentity(old_keys->kek, session.wrapped_identity);
  if (absl::IsPermissionDenied(identity.status())) {
    return absl::UnauthenticatedError(
        absl::StrCat("the current password of ", session.handle, " is wrong; nothing was changed"));
  }
  if (!identity.ok()) return identity.status();
  if (identity->Recipient() != session.public_key) {
    return absl::DataLossError(
        "the identity in the session does not match the account's key: run `freehold login` "
        "again");
  }
  const PwhashParams kdf =
      client::ChooseNewPwhashParams(RecommendedKdf(*pre), session.kdf, options.allow_weak_kdf);
  absl::StatusOr<NewWrapping> w = WrapUnderPassword(new_password, *identity, kdf);
  if (!w.ok()) return w.status();

  v1::ChangePasswordRequest req;
  req.set_old_auth_key(AsString(old_keys->auth_key.span()));
  req.set_new_salt(AsString(w->salt));
  SetKdf(w->kdf, req.mutable_new_kdf());
  req.set_new_auth_key(AsString(w->keys.auth_key.span()));
  req.set_new_wrapped_identity(AsString(w->wrapped_identity));
  if (absl::Status s = accounts.ChangePassword(req, access_token); !s.ok()) {
    if (absl::IsResourceExhausted(s)) return BackingOff(s, "password change");
    if (absl::IsAborted(s)) {
      return absl::AbortedError(
          "the password was changed at the same time from another device; nothing was changed "
          "here: log in again and retry");
    }
    return s;
  }
  Session out = session;
  out.password_salt = w->salt;
  out.kdf = w->kdf;
  out.wrapped_identity = w->wrapped_identity;
  return out;
}

absl::StatusOr<LoggedIn> Recover(AccountsApi& accounts, const std::string& handle,
                                 const SecretBytes& recovery_key, const SecretBytes& new_password,
                                 const AccountOpsOptions& options) {
  std::string_view key_text = recovery_key.view();
  while (!key_text.empty() && absl::ascii_isspace(static_cast<unsigned char>(key_text.front()))) {
    key_text.remove_prefix(1);
  }
  while (!key_text.empty() && absl::ascii_isspace(static_cast<unsigned char>(key_text.back()))) {
    key_text.remove_suffix(1);
  }
  absl::StatusOr<client::X25519Identity> identity = client::ParseIdentity(key_text);
  if (!identity.ok()) {
    return UsageError(
        "the recovery key is not an AGE-SECRET-KEY-1... key (the text `freehold recovery-key` "
        "printed)");
  }
  if (absl::Status s = CheckNewPassword(new_password, handle); !s.ok()) return s;
  absl::StatusOr<v1::PreLoginResponse> pre = accounts.PreLogin(handle);
  if (!pre.ok()) return pre.status();
  const PwhashParams current{pre->kdf().ops_limit(), pre->kdf().mem_limit_bytes()};
  const PwhashParams kdf =
      client::ChooseNewPwhashParams(RecommendedKdf(*pre), current, options.allow_weak_kdf);
  absl::StatusOr<NewWrapping> w = WrapUnderPassword(new_password, *identity, kdf);
  if (!w.ok()) return w.status();

  absl::StatusOr<v1::GetRecoveryChallengeResponse> challenge = accounts.GetRecoveryChallenge(handle);
  if (!challenge.ok()) {
    if (absl::IsResourceExhausted(challenge.status())) {
      return BackingOff(challenge.status(), "recovery");
    }
    return challenge.status();
  }
  const std::string& c = challenge->challenge();
  absl::StatusOr<std::vector<uint8_t>> proof = client::RecoveryProof(
      *identity, challenge->ephemeral_public(),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.data()), c.size()));
  if (!proof.ok()) return WithContext(proof.status(), "the server's recovery challenge is unusable");

  v1::RecoverRequest req;
  req.set_handle(handle);
  req.set_challenge(c);
  req.set_proof(AsString(*proof));
  req.set_new_salt(AsString(w->salt));
  SetKdf(w->kdf, req.mutable_new_kdf());
  req.set_new_auth_key(AsString(w->keys.auth_key.span()));
  req.set_new_wrapped_identity(AsString(w->wrapped_identity));
  absl::StatusOr<v1::RecoverResponse> resp = accounts.Recover(req);
  if (!resp.ok()) {
    const absl::Status& s = resp.status();
    if (absl::IsUnauthenticated(s)) {
      return absl::UnauthenticatedError(absl::StrCat(
          "recovery failed: this recovery key does not belong to ", handle,
          " (or the handle does not exist); nothing was changed"));
    }
    if (absl::IsResourceExhausted(s)) return BackingOff(s, "recovery");
    if (absl::IsInvalidArgument(s)) return UsageError(s.message());
    return s;
  }
  // The server's answer names no public key: check the account's against the key.
  absl::StatusOr<v1::GetAccountResponse> account =
      accounts.GetAccount(resp->tokens().access_token());
  if (!account.ok()) return WithContext(account.status(), "recovered, but reading the account failed");
  if (account->public_key() != identity->Recipient()) {
    return absl::DataLossError(
        "the account's public key on the server is not the recovery key's; refusing the session");
  }
  Session s;
  s.accounts_address = accounts.service().address;
  s.coordinator_address = options.coordinator_address;
  s.account_id = resp->account_id();
  s.handle = handle;
  s.public_key = identity->Recipient();
  s.session_id = resp->session_id();
  s.access_token = resp->tokens().access_token();
  s.access_expires_at = FromProto(resp->tokens().access_expires_at());
  s.refresh_token = resp->tokens().refresh_token();
  s.refresh_expires_at = FromProto(resp->tokens().refresh_expires_at());
  s.password_salt = w->salt;
  s.kdf = w->kdf;
  s.wrapped_identity = w->wrapped_identity;
  return LoggedIn{std::move(s), *std::move(identity)};
}

}  // namespace freehold::cli
