// Server-side cryptography of the accounts service (libsodium):
//  - verifier = BLAKE2b-256(key = pepper, auth_key), compared in constant time;
//  - fake pre-login salt for unknown handles = BLAKE2b-128(key = pepper, handle);
//  - refresh tokens: session id + 32 random bytes, stored as BLAKE2b-256(token);
//  - recovery: the server's ephemeral X25519 secret for a challenge is derived from the
//    pepper (nothing secret is stored), and the expected proof is
//    BLAKE2b-256(key = X25519(ephemeral secret, account public key), challenge).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace freehold::accounts {

// The server pepper: a 32-byte key, BLAKE2b-256 of the configured secret (so any secret
// text of at least 32 characters, e.g. 64 hex digits, works). Never stored in the
// database, never logged; zeroed on destruction. Immutable and thread-safe.
class Pepper {
 public:
  static constexpr size_t kMinSecretLength = 32;
  // INVALID_ARGUMENT if `secret` is shorter than kMinSecretLength characters.
  static absl::StatusOr<Pepper> FromSecret(std::string_view secret);

  Pepper(const Pepper& other) = default;
  Pepper& operator=(const Pepper& other) = default;
  ~Pepper();

  // 32-byte verifier of a 32-byte auth key.
  std::string Verifier(std::string_view auth_key) const;
  // Deterministic 16-byte fake salt for `handle` (normalized).
  std::string FakeSalt(std::string_view handle) const;
  // 32-byte key of a login-throttle counter: BLAKE2b-256(key = pepper,
  // "freehold-throttle-v1" || 0x00 || `name`), so the database holds no handle or
  // address in clear.
  std::string ThrottleKey(std::string_view name) const;
  // X25519 secret the server uses for a recovery challenge.
  std::array<uint8_t, 32> RecoveryEphemeralSecret(std::string_view challenge) const;

 private:
  Pepper() = default;
  std::array<uint8_t, 32> key_{};
};

// BLAKE2b-256 of a refresh token's raw bytes (what the database stores).
std::string HashRefreshToken(std::string_view token_bytes);
// BLAKE2b-256 of a recovery challenge (what the database stores).
std::string HashChallenge(std::string_view challenge);

// The X25519 public key of `secret`.
std::array<uint8_t, 32> X25519Public(const std::array<uint8_t, 32>& secret);

// BLAKE2b-256(key = X25519(secret, peer_public), challenge): the recovery proof, computed
// by the client with (identity secret, ephemeral public) and by the server with
// (ephemeral secret, account public key). INVALID_ARGUMENT if the shared secret is
// all-zero (a low-order peer key).
absl::StatusOr<std::string> RecoveryProof(const std::array<uint8_t, 32>& secret,
                                          const std::array<uint8_t, 32>& peer_public,
                                          std::string_view challenge);

}  // namespace freehold::accounts
