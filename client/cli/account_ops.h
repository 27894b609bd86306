// Sign-up and login on the client side (docs/ARCHITECTURE.md#3-accounts-and-keys): Argon2id of the
// password gives kek (wraps the identity, never leaves this process) and
// auth_key (sent to accounts); the identity is an age X25519 key pair made
// here. Both return the Session to save and the unlocked identity.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "client/cli/accounts_api.h"
#include "client/cli/session.h"
#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::cli {

struct AccountOpsOptions {
  std::string coordinator_address;  // recorded in the session
  std::string device_name;          // shown in the account's session list
  // Accept Argon2id parameters weaker than libsodium's INTERACTIVE level
  // (FREEHOLD_ALLOW_WEAK_KDF=1; for tests against a server started with
  // --allow-weak-kdf). Never for real accounts.
  bool allow_weak_kdf = false;
};

struct LoggedIn {
  Session session;
  client::X25519Identity identity;
  bool kdf_upgraded = false;  // login re-wrapped the identity with stronger Argon2id
  std::string warning;        // for the user (e.g. the upgrade failed; login still worked)
};

// A new password wrapping of `identity`: fresh salt, keys derived with `kdf`.
struct NewWrapping {
  std::vector<uint8_t> salt;
  client::PwhashParams kdf;
  client::DerivedKeys keys;
  std::vector<uint8_t> wrapped_identity;
};
absl::StatusOr<NewWrapping> WrapUnderPassword(const client::SecretBytes& password,
                                              const client::X25519Identity& identity,
                                              const client::PwhashParams& kdf);

// The server's recommended parameters from PreLogin ({0, 0} from an older server).
client::PwhashParams RecommendedKdf(const v1::PreLoginResponse& pre);

// INVALID_ARGUMENT naming why the password is weak (client/core/password_strength.h);
// the handle counts as a word an attacker knows.
absl::Status CheckNewPassword(const client::SecretBytes& password, const std::string& handle);

// ALREADY_EXISTS when the handle is taken; INVALID_ARGUMENT for a bad handle.
// Also INVALID_ARGUMENT if the password is too weak (CheckNewPassword).
absl::StatusOr<LoggedIn> Signup(AccountsApi& accounts, const std::string& handle,
                                const std::string& contact, const client::SecretBytes& password,
                                const AccountOpsOptions& options);

// UNAUTHENTICATED "wrong handle or password" (also while the server backs off
// after failures, with the delay in the message); FAILED_PRECONDITION if the
// server offers KDF parameters too weak to trust. When the account's Argon2id
// parameters are weaker than ChooseNewPwhashParams(server's recommendation), the
// identity is re-wrapped with the stronger ones (UpgradeKdf; other sessions stay);
// if that fails the login still succeeds with `warning` set.
absl::StatusOr<LoggedIn> Login(AccountsApi& accounts, const std::string& handle,
                               const client::SecretBytes& password,
                               const AccountOpsOptions& options);

// Unwraps the identity of `session` with `password`: UNAUTHENTICATED "wrong
// password" if it does not open; DATA_LOSS if it opens to a key other than
// the account's public key.
absl::StatusOr<client::X25519Identity> UnlockIdentity(const Session& session,
                                                      const client::SecretBytes& password);

}  // namespace freehold::cli
