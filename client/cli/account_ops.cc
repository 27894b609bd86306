#include "client/cli/account_ops.h"

#include "absl/strings/str_cat.h"
#include "client/cli/exit_codes.h"
#include "client/cli/rpc.h"
#include "client/core/account_keys.h"
#include "client/core/password_strength.h"

namespace freehold::cli {
namespace {

using client::PwhashParams;
using client::SecretBytes;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string AsString(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::vector<uint8_t> AsVector(const std::string& s) { return {s.begin(), s.end()}; }

absl::Status CheckKdf(const PwhashParams& p, const AccountOpsOptions& options) {
  if (options.allow_weak_kdf) return absl::OkStatus();
  absl::Status s = client::CheckPwhashStrength(p);
  if (!s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the accounts service asks for password hashing weaker than this client accepts (",
        s.message(), "); refusing to send a weakly protected password"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LoggedIn> FinishLogin(AccountsApi& accounts, const std::string& handle,
                                     const client::DerivedKeys& keys, std::vector<uint8_t> salt,
                                     const PwhashParams& kdf, const AccountOpsOptions& options) {
  v1::LoginRequest req;
  req.set_handle(handle);
  req.set_auth_key(AsString(keys.auth_key.span()));
  req.set_device_name(options.device_name.substr(0, 64));
  absl::StatusOr<v1::LoginResponse> resp = accounts.Login(req);
  if (!resp.ok()) {
    const absl::Status& s = resp.status();
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError(
          "login failed: wrong handle or password (check both; after several failures the "
          "server makes you wait)");
    }
    if (s.code() == absl::StatusCode::kResourceExhausted) {
      std::string wait;
      if (std::optional<absl::Duration> d = RetryAfterOf(s)) {
        wait = absl::StrCat(" Try again in ", absl::ToInt64Seconds(*d) + 1, " s.");
      }
      return absl::UnauthenticatedError(absl::StrCat(
          "login refused for now: too many failed attempts for this handle from this network.", wait));
    }
    return s;
  }
  absl::StatusOr<client::X25519Identity> identity =
      client::UnwrapIdentity(keys.kek, AsVector(resp->wrapped_identity()));
  if (!identity.ok()) {
    return absl::DataLossError(
        "the account's stored identity does not open with this password; it may have been "
        "altered on the server. Use `freehold recovery-key` output from another device to "
        "recover");
  }
  if (identity->Recipient() != resp->public_key()) {
    return absl::DataLossError(
        "the account's identity does not match its public key on the server; refusing to use it");
  }
  Session s;
  s.accounts_address = accounts.service().address;
  s.coordinator_address = options.coordinator_address;
  s.account_id = resp->account_id();
  s.handle = handle;
  s.public_key = resp->public_key();
  s.session_id = resp->session_id();
  s.access_token = resp->tokens().access_token();
  s.access_expires_at = FromProto(resp->tokens().access_expires_at());
  s.refresh_token = resp->tokens().refresh_token();
  s.refresh_expires_at = FromProto(resp->tokens().refresh_expires_at());
  s.password_salt = std::move(salt);
  s.kdf = kdf;
  s.wrapped_identity = AsVector(resp->wrapped_identity());
  return LoggedIn{std::move(s), *std::move(identity)};
}

// Re-wraps the just-unlocked identity with stronger parameters (UpgradeKdf).
absl::Status UpgradeKdfAfterLogin(AccountsApi& accounts, LoggedIn& in,
                                  const client::DerivedKeys& current,
                                  const client::SecretBytes& password,
                                  const PwhashParams& target) {
  absl::StatusOr<NewWrapping> w = WrapUnderPassword(password, in.identity, target);
  if (!w.ok()) return w.status();
  v1::UpgradeKdfRequest req;
  req.set_auth_key(AsString(current.auth_key.span()));
  req.set_new_salt(AsString(w->salt));
  req.mutable_new_kdf()->set_ops_limit(w->kdf.opslimit);
  req.mutable_new_kdf()->set_mem_limit_bytes(w->kdf.memlimit);
  req.mutable_new_kdf()->set_algorithm("argon2id13");
  req.set_new_auth_key(AsString(w->keys.auth_key.span()));
  req.set_new_wrapped_identity(AsString(w->wrapped_identity));
  if (absl::Status s = accounts.UpgradeKdf(req, in.session.access_token); !s.ok()) return s;
  in.session.password_salt = w->salt;
  in.session.kdf = w->kdf;
  in.session.wrapped_identity = w->wrapped_identity;
  in.kdf_upgraded = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NewWrapping> WrapUnderPassword(const SecretBytes& password,
                                              const client::X25519Identity& identity,
                                              const PwhashParams& kdf) {
  const auto salt = client::GeneratePasswordSalt();
  absl::StatusOr<client::DerivedKeys> keys = client::DeriveKeys(password.view(), salt, kdf);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::vector<uint8_t>> wrapped = client::WrapIdentity(keys->kek, identity);
  if (!wrapped.ok()) return wrapped.status();
  return NewWrapping{std::vector<uint8_t>(salt.begin(), salt.end()), kdf, *std::move(keys),
                     *std::move(wrapped)};
}

PwhashParams RecommendedKdf(const v1::PreLoginResponse& pre) {
  if (!pre.has_recommended_kdf()) return {0, 0};
  return {pre.recommended_kdf().ops_limit(), pre.recommended_kdf().mem_limit_bytes()};
}

absl::Status CheckNewPassword(const SecretBytes& password, const std::string& handle) {
  absl::Status s = client::CheckPasswordStrength(password.view(), {handle, "freehold"});
  if (!s.ok()) return UsageError(s.message());
  return s;
}

absl::StatusOr<LoggedIn> Signup(AccountsApi& accounts, const std::string& handle,
                                const std::string& contact, const SecretBytes& password,
                                const AccountOpsOptions& options) {
  // PreLogin of a new handle answers the server's recommended parameters.
  if (absl::Status s = CheckNewPassword(password, handle); !s.ok()) return s;
  absl::StatusOr<v1::PreLoginResponse> pre = accounts.PreLogin(handle);
  if (!pre.ok()) return pre.status();
  // For a handle that does not exist `kdf` is the server's default too (older servers
  // send no recommended_kdf).
  PwhashParams offered{pre->kdf().ops_limit(), pre->kdf().mem_limit_bytes()};
  const PwhashParams kdf =
      client::ChooseNewPwhashParams(RecommendedKdf(*pre), offered, options.allow_weak_kdf);
  const auto salt = client::GeneratePasswordSalt();
  absl::StatusOr<client::DerivedKeys> keys = client::DeriveKeys(password.view(), salt, kdf);
  if (!keys.ok()) return keys.status();
  client::X25519Identity identity = client::GenerateIdentity();
  absl::StatusOr<std::vector<uint8_t>> wrapped = client::WrapIdentity(keys->kek, identity);
  if (!wrapped.ok()) return wrapped.status();

  v1::RegisterRequest req;
  req.set_handle(handle);
  req.set_salt(AsString(salt));
  req.mutable_kdf()->set_ops_limit(kdf.opslimit);
  req.mutable_kdf()->set_mem_limit_bytes(kdf.memlimit);
  req.mutable_kdf()->set_algorithm("argon2id13");
  req.set_auth_key(AsString(keys->auth_key.span()));
  req.set_wrapped_identity(AsString(*wrapped));
  req.set_public_key(identity.Recipient());
  if (!contact.empty()) req.set_contact(contact);
  absl::StatusOr<v1::RegisterResponse> reg = accounts.Register(req);
  if (!reg.ok()) {
    if (reg.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(
          absl::StrCat("the handle \"", handle, "\" is taken: choose another one"));
    }
    if (reg.status().code() == absl::StatusCode::kInvalidArgument) {
      return UsageError(reg.status().message());
    }
    if (reg.status().code() == absl::StatusCode::kResourceExhausted) {
      return absl::ResourceExhaustedError(
          absl::StrCat("sign-up refused for now (too many sign-ups from this address): ",
                       reg.status().message()));
    }
    return reg.status();
  }
  absl::StatusOr<LoggedIn> in = FinishLogin(
      accounts, handle, *keys, std::vector<uint8_t>(salt.begin(), salt.end()), kdf, options);
  if (!in.ok()) return WithContext(in.status(), "signed up, but logging in failed");
  return in;
}

absl::StatusOr<LoggedIn> Login(AccountsApi& accounts, const std::string& handle,
                               const SecretBytes& password, const AccountOpsOptions& options) {
  absl::StatusOr<v1::PreLoginResponse> pre = accounts.PreLogin(handle);
  if (!pre.ok()) return pre.status();
  PwhashParams kdf{pre->kdf().ops_limit(), pre->kdf().mem_limit_bytes()};
  if (absl::Status s = CheckKdf(kdf, options); !s.ok()) return s;
  std::vector<uint8_t> salt(pre->salt().begin(), pre->salt().end());
  absl::StatusOr<client::DerivedKeys> keys = client::DeriveKeys(password.view(), salt, kdf);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<LoggedIn> in = FinishLogin(accounts, handle, *keys, std::move(salt), kdf, options);
  if (!in.ok()) return in;
  const PwhashParams recommended = RecommendedKdf(*pre);
  if (recommended.opslimit == 0) return in;  // an older server: nothing to compare with
  const PwhashParams target =
      client::ChooseNewPwhashParams(recommended, kdf, options.allow_weak_kdf);
  if (client::PwhashWeakerThan(kdf, target)) {
    if (absl::Status s = UpgradeKdfAfterLogin(accounts, *in, *keys, password, target); !s.ok()) {
      in->warning = absl::StrCat(
          "could not strengthen the account's password hashing (", s.message(),
          "); it is tried again at the next login");
    }
  }
  return in;
}

absl::StatusOr<client::X25519Identity> UnlockIdentity(const Session& session,
                                                      const SecretBytes& password) {
  absl::StatusOr<client::DerivedKeys> keys =
      client::DeriveKeys(password.view(), session.password_salt, session.kdf);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<client::X25519Identity> identity =
      client::UnwrapIdentity(keys->kek, session.wrapped_identity);
  if (absl::IsPermissionDenied(identity.status())) {
    return absl::UnauthenticatedError(
        absl::StrCat("wrong password for ", session.handle,
                     " (check FREEHOLD_PASSWORD / --password-file, or type it again)"));
  }
  if (!identity.ok()) return identity.status();
  if (identity->Recipient() != session.public_key) {
    return absl::DataLossError(
        "the identity in the session does not match the account's key: "
        "run `freehold login` again");
  }
  return identity;
}

}  // namespace freehold::cli
