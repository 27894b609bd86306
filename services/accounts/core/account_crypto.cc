#include "services/accounts/core/account_crypto.h"

#include <sodium.h>

#include <cstring>

#include "absl/status/status.h"
#include "common/secure_compare.h"

namespace freehold::accounts {
namespace {

constexpr char kRecoveryDomain[] = "freehold-recovery-ephemeral-v1";

std::string Blake2b(size_t out_len, std::string_view in, const uint8_t* key, size_t key_len) {
  std::string out(out_len, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out_len,
                     reinterpret_cast<const unsigned char*>(in.data()), in.size(), key, key_len);
  return out;
}

}  // namespace

absl::StatusOr<Pepper> Pepper::FromSecret(std::string_view secret) {
  if (secret.size() < kMinSecretLength) {
    return absl::InvalidArgumentError("pepper: must be at least 32 characters");
  }
  Pepper p;
  crypto_generichash(p.key_.data(), p.key_.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr,
                     0);
  return p;
}

Pepper::~Pepper() { SecureZero(key_.data(), key_.size()); }

std::string Pepper::Verifier(std::string_view auth_key) const {
  return Blake2b(32, auth_key, key_.data(), key_.size());
}

std::string Pepper::FakeSalt(std::string_view handle) const {
  return Blake2b(16, handle, key_.data(), key_.size());
}

std::array<uint8_t, 32> Pepper::RecoveryEphemeralSecret(std::string_view challenge) const {
  std::string in(kRecoveryDomain, sizeof(kRecoveryDomain));  // includes the NUL separator
  in.append(challenge);
  std::string h = Blake2b(32, in, key_.data(), key_.size());
  std::array<uint8_t, 32> out;
  std::memcpy(out.data(), h.data(), 32);
  SecureZero(h);
  return out;
}

std::string Pepper::ThrottleKey(std::string_view name) const {
  static constexpr char kDomain[] = "freehold-throttle-v1";
  std::string in(kDomain, sizeof(kDomain));  // includes the NUL separator
  in.append(name);
  return Blake2b(32, in, key_.data(), key_.size());
}

std::string HashRefreshToken(std::string_view token_bytes) {
  return Blake2b(32, token_bytes, nullptr, 0);
}

std::string HashChallenge(std::string_view challenge) { return Blake2b(32, challenge, nullptr, 0); }

std::array<uint8_t, 32> X25519Public(const std::array<uint8_t, 32>& secret) {
  std::array<uint8_t, 32> pub;
  crypto_scalarmult_base(pub.data(), secret.data());
  return pub;
}

absl::StatusOr<std::string> RecoveryProof(const std::array<uint8_t, 32>& secret,
                                          const std::array<uint8_t, 32>& peer_public,
                                          std::string_view challenge) {
  std::array<uint8_t, 32> shared;
  if (crypto_scalarmult(shared.data(), secret.data(), peer_public.data()) != 0) {
    return absl::InvalidArgumentError("public key: low-order X25519 point");
  }
  std::string proof = Blake2b(32, challenge, shared.data(), shared.size());
  SecureZero(shared.data(), shared.size());
  return proof;
}

}  // namespace freehold::accounts
