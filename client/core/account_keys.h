// Password-derived account keys and the wrapped identity
// (docs/ARCHITECTURE.md#3-accounts-and-keys).
//
//   out[64] = Argon2id(password, salt16, opslimit, memlimit)  (crypto_pwhash)
//   kek = out[0..32]  -- wraps the identity, never leaves the client
//   auth_key = out[32..64]  -- sent to accounts at login, never logged
//   wrapped_identity = nonce24 || XChaCha20-Poly1305(kek, secret32,
//                                   aad = "freehold/v1/wrapped-identity")
//
// Password change: DeriveKeys(new password, new salt) then RewrapIdentity.
// Recovery: ParseIdentity(recovery key) then WrapIdentity under a new kek.
// All functions are thread-safe; secrets are returned as SecretBytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

inline constexpr size_t kPasswordSaltBytes = 16;
inline constexpr size_t kWrappedIdentityBytes = 24 + 32 + 16;

// Argon2id cost, stored per account on the server.
struct PwhashParams {
  uint64_t opslimit = 3;
  uint64_t memlimit = 256ull << 20;  // bytes

  // libsodium's INTERACTIVE (2, 64 MiB): the weakest a client should accept
  // from a server (see CheckPwhashStrength).
  static PwhashParams Interactive() { return {2, 64ull << 20}; }
  // libsodium's MODERATE (3, 256 MiB): the default for new accounts.
  static PwhashParams Moderate() { return {3, 256ull << 20}; }
  // libsodium's minimum (1, 8 KiB): for tests only.
  static PwhashParams MinimumForTests() { return {1, 8192}; }
};

// Hard caps so a hostile server cannot make the client exhaust memory/time.
inline constexpr uint64_t kMaxOpslimit = 64;
inline constexpr uint64_t kMaxMemlimit = 4ull << 30;

struct DerivedKeys {
  SecretBytes kek;       // 32 bytes
  SecretBytes auth_key;  // 32 bytes
};

// A fresh random 16-byte salt.
std::array<uint8_t, kPasswordSaltBytes> GeneratePasswordSalt();

// INVALID_ARGUMENT if salt is not 16 bytes or params are outside libsodium's
// range or the caps above; RESOURCE_EXHAUSTED if Argon2id cannot allocate.
absl::StatusOr<DerivedKeys> DeriveKeys(std::string_view password, std::span<const uint8_t> salt,
                                       const PwhashParams& params);

// FAILED_PRECONDITION if params are weaker than PwhashParams::Interactive():
// the CLI refuses such parameters when a server offers them at login.
absl::Status CheckPwhashStrength(const PwhashParams& params);

// kek must be 32 bytes (INVALID_ARGUMENT otherwise). Random nonce per call.
absl::StatusOr<std::vector<uint8_t>> WrapIdentity(const SecretBytes& kek,
                                                  const X25519Identity& identity);
// INVALID_ARGUMENT on a malformed blob; PERMISSION_DENIED when the kek is wrong
// (wrong password) or the blob was altered.
absl::StatusOr<X25519Identity> UnwrapIdentity(const SecretBytes& kek,
                                              std::span<const uint8_t> wrapped);
// Unwraps with old_kek and wraps again with new_kek (password change).
absl::StatusOr<std::vector<uint8_t>> RewrapIdentity(const SecretBytes& old_kek,
                                                    const SecretBytes& new_kek,
                                                    std::span<const uint8_t> wrapped);

// Recovery proof (docs/PROTOCOL.md section 3.9): BLAKE2b-256(key = X25519(identity
// secret, ephemeral public key), message = challenge). INVALID_ARGUMENT for a
// malformed ephemeral key or a low-order point (all-zero shared secret).
absl::StatusOr<std::vector<uint8_t>> RecoveryProof(const X25519Identity& identity,
                                                   std::string_view ephemeral_recipient,
                                                   std::span<const uint8_t> challenge);

// The parameters the reference client uses for a NEW password wrapping (sign-up,
// password change, recovery, upgrade), given what the server recommends
// (`recommended`; {0, 0} if it said nothing) and the account's current parameters
// (`current`; {0, 0} for sign-up): the stronger of the two, raised to MODERATE unless
// `allow_weak` (tests), and MODERATE if that exceeds the client's caps.
PwhashParams ChooseNewPwhashParams(const PwhashParams& recommended, const PwhashParams& current,
                                   bool allow_weak);

// True if `current` is weaker than `target` in either cost (time or memory).
bool PwhashWeakerThan(const PwhashParams& current, const PwhashParams& target);

}  // namespace freehold::client
