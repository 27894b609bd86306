#include "services/accounts/core/login_service.h"

#include <optional>
#include <tuple>

#include "common/secure_compare.h"
#include "common/status.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {
namespace {

// Wipes a secret string when leaving scope.
class Wipe {
 public:
  explicit Wipe(std::string& s) : s_(s) {}
  ~Wipe() { SecureZero(s_); }

 private:
  std::string& s_;
};

}  // namespace

absl::Status ValidateNewPassword(const NewPassword& password, const KdfBounds& bounds,
                                 const std::string& prefix) {
  FH_RETURN_IF_ERROR(ValidateFixedBytes(password.salt, kSaltBytes, prefix + "salt"));
  FH_RETURN_IF_ERROR(ValidateKdf(password.kdf, bounds, prefix + "kdf"));
  FH_RETURN_IF_ERROR(ValidateFixedBytes(password.auth_key, kAuthKeyBytes, prefix + "auth_key"));
  return ValidateWrappedIdentity(password.wrapped_identity, prefix + "wrapped_identity");
}

LoginService::LoginService(AccountRepository& repo, const Pepper& pepper, FairUseLimiter& limiter,
                           LoginThrottle& throttle, const TokenIssuer& issuer, AccountsMetrics& metrics, Clock& clock,
                           const AccountsOptions& options)
    : repo_(repo),
      pepper_(pepper),
      limiter_(limiter),
      throttle_(throttle),
      issuer_(issuer),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      dummy_verifier_(RandomBytes(32)) {}

absl::StatusOr<PreLoginResult> LoginService::PreLogin(const std::string& raw_handle) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  // Always computed, so known and unknown handles cost the same.
  PreLoginResult fake{pepper_.FakeSalt(handle), options_.default_kdf, options_.default_kdf};
  FH_ASSIGN_OR_RETURN(std::optional<AccountRecord> account, repo_.FindByHandle(handle));
  if (!account || account->deleted) return fake;
  return PreLoginResult{account->credentials.salt, account->credentials.kdf,
                        options_.default_kdf};
}

absl::StatusOr<std::string> LoginService::Register(RegisterInput input, const Caller& caller) {
  Wipe wipe(input.auth_key);
  absl::StatusOr<std::string> result = [&]() -> absl::StatusOr<std::string> {
    FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(input.handle));
    FH_RETURN_IF_ERROR(ValidateFixedBytes(input.salt, kSaltBytes, "salt"));
    FH_RETURN_IF_ERROR(ValidateKdf(input.kdf, options_.kdf_bounds, "kdf"));
    FH_RETURN_IF_ERROR(ValidateFixedBytes(input.auth_key, kAuthKeyBytes, "auth_key"));
    FH_RETURN_IF_ERROR(ValidateWrappedIdentity(input.wrapped_identity, "wrapped_identity"));
    FH_RETURN_IF_ERROR(ParseAgeRecipient(input.public_key, "public_key").status());
    FH_RETURN_IF_ERROR(ValidateContact(input.contact));
    FH_RETURN_IF_ERROR(limiter_.AcquireRegistration(caller.address));

    AccountRecord account;
    account.account_id = NewUuid();
    account.handle = handle;
    account.credentials.salt = input.salt;
    account.credentials.kdf = input.kdf;
    account.credentials.verifier = pepper_.Verifier(input.auth_key);
    account.credentials.wrapped_identity = input.wrapped_identity;
    account.public_key = input.public_key;
    if (!input.contact.empty()) account.contact = input.contact;
    account.created_at = clock_.Now();
    absl::Status s = repo_.CreateAccount(account);
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError("handle: already taken");
    }
    FH_RETURN_IF_ERROR(s);
    return account.account_id;
  }();
  metrics_.Registration(result.status());
  return result;
}

absl::StatusOr<LoginResult> LoginService::Login(const std::string& handle, std::string auth_key,
                                                const std::string& device_name,
                                                const Caller& caller) {
  Wipe wipe(auth_key);
  absl::StatusOr<LoginResult> result = LoginChecked(handle, auth_key, device_name, caller);
  metrics_.Login(result.status());
  return result;
}

absl::StatusOr<LoginResult> LoginService::LoginChecked(const std::string& raw_handle,
                                                       const std::string& auth_key,
                                                       const std::string& device_name,
                                                       const Caller& caller) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  FH_RETURN_IF_ERROR(ValidateFixedBytes(auth_key, kAuthKeyBytes, "auth_key"));
  FH_RETURN_IF_ERROR(ValidateDeviceName(device_name));
  FH_ASSIGN_OR_RETURN(const bool had_failures, throttle_.Check(handle, caller.address, clock_.Now()));

  // The same work for unknown handles, deleted accounts and wrong keys: one database
  // round trip (which creates the session only if the key is right), one verifier, one
  // constant-time compare, one failure record.
  const absl::Time now = clock_.Now();
  std::string verifier = pepper_.Verifier(auth_key);
  const std::string session_id = NewTimeOrderedUuid(now);
  IssuedTokens refresh = issuer_.NewRefreshToken(session_id, now);
  NewSession session{session_id,           "",  device_name,
                     refresh.refresh_hash, now, refresh.tokens.refresh_expires_at};
  absl::StatusOr<std::optional<LoginLookup>> lookup =
      repo_.LoginAndCreateSession(handle, verifier, session);
  if (!lookup.ok()) {
    SecureZero(verifier);
    return lookup.status();
  }
  const bool live = lookup->has_value();
  const bool match =
      SecureEquals(verifier, live ? (*lookup)->account.credentials.verifier : dummy_verifier_);
  SecureZero(verifier);
  if (!live || !match) {
    (void)throttle_.RecordFailure(handle, caller.address, clock_.Now());  // best effort
    if (live && (*lookup)->session_created) {
      return absl::InternalError("database and server disagree about the verifier");
    }
    return absl::UnauthenticatedError(kWrongLoginMessage);
  }
  if (!(*lookup)->session_created) {
    return absl::InternalError("session was not created for a matching verifier");
  }
  if (had_failures) (void)throttle_.RecordSuccess(handle, caller.address);  // best effort

  const AccountRecord& account = (*lookup)->account;
  // A login is the owner's sign of life (core/account_lifecycle.h): renews the lease,
  // and takes a warned or trashed account back.
  if (LeaseNeedsRenewal(account.last_seen_at, account.lease_lapsed, now,
                        options_.lease_renew_interval)) {
    FH_RETURN_IF_ERROR(
        repo_.RenewLease(account.account_id, now, now - options_.lease_renew_interval));
  }
  LoginResult out;
  out.account_id = account.account_id;
  out.session_id = session.session_id;
  out.tokens = std::move(refresh.tokens);
  std::vector<std::string> roles;
  if (roles_ != nullptr) {
    FH_ASSIGN_OR_RETURN(roles, roles_->RolesOf(out.account_id));
  }
  std::tie(out.tokens.access_token, out.tokens.access_expires_at) =
      issuer_.IssueAccessToken(out.account_id, out.session_id, now, roles);
  out.wrapped_identity = account.credentials.wrapped_identity;
  out.public_key = account.public_key;
  return out;
}

absl::StatusOr<RecoveryChallenge> LoginService::GetRecoveryChallenge(const std::string& raw_handle,
                                                                     const Caller& caller) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  FH_RETURN_IF_ERROR(throttle_.Check(handle, caller.address, clock_.Now()).status());
  RecoveryChallenge out;
  out.challenge = RandomBytes(32);
  std::array<uint8_t, 32> eph = pepper_.RecoveryEphemeralSecret(out.challenge);
  out.ephemeral_public = FormatAgeRecipient(X25519Public(eph));
  SecureZero(eph.data(), eph.size());
  FH_ASSIGN_OR_RETURN(std::optional<AccountRecord> account, repo_.FindByHandle(handle));
  if (account && !account->deleted) {
    FH_RETURN_IF_ERROR(
        repo_.SaveRecoveryChallenge(HashChallenge(out.challenge), account->account_id,
                                    clock_.Now() + options_.recovery_challenge_lifetime));
  }
  return out;
}

absl::StatusOr<LoginResult> LoginService::Recover(const std::string& handle,
                                                  const std::string& challenge,
                                                  const std::string& proof, NewPassword password,
                                                  const Caller& caller) {
  Wipe wipe(password.auth_key);
  absl::StatusOr<LoginResult> result = RecoverChecked(handle, challenge, proof, password, caller);
  metrics_.Recovery(result.status());
  return result;
}

absl::StatusOr<LoginResult> LoginService::RecoverChecked(const std::string& raw_handle,
                                                         const std::string& challenge,
                                                         const std::string& proof,
                                                         const NewPassword& password,
                                                         const Caller& caller) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  FH_RETURN_IF_ERROR(ValidateFixedBytes(challenge, 32, "challenge"));
  FH_RETURN_IF_ERROR(ValidateFixedBytes(proof, 32, "proof"));
  FH_RETURN_IF_ERROR(ValidateNewPassword(password, options_.kdf_bounds, "new_"));
  FH_ASSIGN_OR_RETURN(const bool had_failures, throttle_.Check(handle, caller.address, clock_.Now()));

  auto fail = [&]() {
    (void)throttle_.RecordFailure(handle, caller.address, clock_.Now());  // best effort
    return absl::UnauthenticatedError(kWrongRecoveryMessage);
  };
  FH_ASSIGN_OR_RETURN(std::optional<AccountRecord> account, repo_.FindByHandle(handle));
  if (!account || account->deleted) return fail();
  const absl::Time now = clock_.Now();
  // Single use: a wrong proof burns the challenge too.
  absl::Status consumed =
      repo_.ConsumeRecoveryChallenge(HashChallenge(challenge), account->account_id, now);
  if (consumed.code() == absl::StatusCode::kNotFound) return fail();
  FH_RETURN_IF_ERROR(consumed);

  absl::StatusOr<std::array<uint8_t, 32>> account_key =
      ParseAgeRecipient(account->public_key, "public_key");
  if (!account_key.ok()) return absl::InternalError("stored public key is malformed");
  std::array<uint8_t, 32> eph = pepper_.RecoveryEphemeralSecret(challenge);
  absl::StatusOr<std::string> expected = RecoveryProof(eph, *account_key, challenge);
  SecureZero(eph.data(), eph.size());
  if (!expected.ok() || !SecureEquals(*expected, proof)) return fail();
  if (had_failures) (void)throttle_.RecordSuccess(handle, caller.address);  // best effort

  Credentials creds{password.salt, password.kdf, pepper_.Verifier(password.auth_key),
                    password.wrapped_identity};
  LoginResult out;
  out.account_id = account->account_id;
  out.session_id = NewTimeOrderedUuid(now);
  std::vector<std::string> roles;
  if (roles_ != nullptr) {
    FH_ASSIGN_OR_RETURN(roles, roles_->RolesOf(out.account_id));
  }
  IssuedTokens issued = issuer_.Issue(out.account_id, out.session_id, now, roles);
  NewSession session{out.session_id,
                     out.account_id,
                     "recovery",
                     issued.refresh_hash,
                     now,
                     issued.tokens.refresh_expires_at};
  FH_RETURN_IF_ERROR(repo_.ReplaceCredentials(out.account_id, creds, /*expected_verifier=*/"",
                                              /*keep_session_id=*/"", session, "recovery", now));
  SecureZero(creds.verifier);
  if (LeaseNeedsRenewal(account->last_seen_at, account->lease_lapsed, now,
                        options_.lease_renew_interval)) {
    FH_RETURN_IF_ERROR(
        repo_.RenewLease(account->account_id, now, now - options_.lease_renew_interval));
  }
  out.tokens = std::move(issued.tokens);
  out.wrapped_identity = password.wrapped_identity;
  out.public_key = account->public_key;
  return out;
}

}  // namespace freehold::accounts
