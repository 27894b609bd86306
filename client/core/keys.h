// Account identity keys: an age X25519 key pair in age's encodings
// (secret "AGE-SECRET-KEY-1..." Bech32, upper-case; recipient "age1..." Bech32,
// lower-case). The encoded secret key is the user's recovery key.
//
// Contract: X25519Identity owns its secret scalar in SecretBytes (zeroed on
// destruction) and is move-only; copies must be explicit (Clone). Parse
// functions return INVALID_ARGUMENT with a message that never contains the
// secret.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

inline constexpr size_t kX25519KeyBytes = 32;

struct X25519PublicKey {
  std::array<uint8_t, kX25519KeyBytes> bytes{};
  bool operator==(const X25519PublicKey&) const = default;
};

class X25519Identity {
 public:
  // A fresh key pair from libsodium's CSPRNG.
  static X25519Identity Generate();
  // From a raw 32-byte scalar (INVALID_ARGUMENT if not 32 bytes).
  static absl::StatusOr<X25519Identity> FromSecret(std::span<const uint8_t> secret);

  X25519Identity(X25519Identity&&) noexcept = default;
  X25519Identity& operator=(X25519Identity&&) noexcept = default;
  X25519Identity Clone() const;

  // Raw 32-byte scalar.
  std::span<const uint8_t> secret() const { return secret_.span(); }
  const X25519PublicKey& public_key() const { return public_key_; }
  // "AGE-SECRET-KEY-1..." (the recovery key), as secret text.
  SecretBytes Encode() const;
  // "age1...".
  std::string Recipient() const;

 private:
  X25519Identity(SecretBytes secret, X25519PublicKey pub)
      : secret_(std::move(secret)), public_key_(pub) {}
  SecretBytes secret_;
  X25519PublicKey public_key_;
};

// The free functions the CLI uses.
inline X25519Identity GenerateIdentity() { return X25519Identity::Generate(); }
// Parses "AGE-SECRET-KEY-1..." (surrounding whitespace not allowed).
absl::StatusOr<X25519Identity> ParseIdentity(std::string_view encoded);
// Parses "age1...".
absl::StatusOr<X25519PublicKey> ParseRecipient(std::string_view encoded);
std::string EncodeRecipient(const X25519PublicKey& key);

}  // namespace freehold::client
