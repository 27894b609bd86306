#include "client/core/keys.h"

#include <sodium.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "client/core/internal/encoding.h"

namespace freehold::client {
namespace {

constexpr std::string_view kSecretHrp = "age-secret-key-";
constexpr std::string_view kRecipientHrp = "age";

void InitSodium() {
  if (sodium_init() < 0) std::abort();
}

}  // namespace

X25519Identity X25519Identity::Generate() {
  InitSodium();
  SecretBytes secret = SecretBytes::Random(kX25519KeyBytes);
  X25519PublicKey pub;
  crypto_scalarmult_base(pub.bytes.data(), secret.data());
  return X25519Identity(std::move(secret), pub);
}

absl::StatusOr<X25519Identity> X25519Identity::FromSecret(std::span<const uint8_t> secret) {
  InitSodium();
  if (secret.size() != kX25519KeyBytes) {
    return absl::InvalidArgumentError("identity: X25519 secret key must be 32 bytes");
  }
  X25519PublicKey pub;
  if (crypto_scalarmult_base(pub.bytes.data(), secret.data()) != 0) {
    return absl::InvalidArgumentError("identity: invalid X25519 secret key");
  }
  return X25519Identity(SecretBytes::CopyOf(secret), pub);
}

X25519Identity X25519Identity::Clone() const {
  return X25519Identity(secret_.Clone(), public_key_);
}

SecretBytes X25519Identity::Encode() const {
  std::string s = internal::Bech32Encode(kSecretHrp, secret_.span(), /*upper=*/true);
  SecretBytes out = SecretBytes::CopyOf(s);
  sodium_memzero(s.data(), s.size());
  return out;
}

std::string X25519Identity::Recipient() const { return EncodeRecipient(public_key_); }

absl::StatusOr<X25519Identity> ParseIdentity(std::string_view encoded) {
  std::optional<internal::Bech32Decoded> d = internal::Bech32Decode(encoded);
  if (!d || d->hrp != kSecretHrp) {
    return absl::InvalidArgumentError(
        "identity: not a valid age X25519 secret key (expected AGE-SECRET-KEY-1...)");
  }
  // age writes secret keys upper-case only.
  for (char c : encoded) {
    if (c >= 'a' && c <= 'z') {
      return absl::InvalidArgumentError("identity: age secret keys must be upper-case");
    }
  }
  absl::StatusOr<X25519Identity> id = X25519Identity::FromSecret(d->data);
  sodium_memzero(d->data.data(), d->data.size());
  return id;
}

absl::StatusOr<X25519PublicKey> ParseRecipient(std::string_view encoded) {
  std::optional<internal::Bech32Decoded> d = internal::Bech32Decode(encoded);
  if (!d || d->hrp != kRecipientHrp || d->data.size() != kX25519KeyBytes) {
    return absl::InvalidArgumentError(
        "recipient: not a valid age X25519 recipient (expected age1...)");
  }
  for (char c : encoded) {
    if (c >= 'A' && c <= 'Z') {
      return absl::InvalidArgumentError("recipient: age recipients must be lower-case");
    }
  }
  X25519PublicKey key;
  std::copy(d->data.begin(), d->data.end(), key.bytes.begin());
  return key;
}

std::string EncodeRecipient(const X25519PublicKey& key) {
  return internal::Bech32Encode(kRecipientHrp, key.bytes, /*upper=*/false);
}

}  // namespace freehold::client
