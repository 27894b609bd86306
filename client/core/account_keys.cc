#include "client/core/account_keys.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace freehold::client {
namespace {

constexpr std::string_view kWrapAad = "freehold/v1/wrapped-identity";

void InitSodium() {
  if (sodium_init() < 0) std::abort();
}

}  // namespace

std::array<uint8_t, kPasswordSaltBytes> GeneratePasswordSalt() {
  InitSodium();
  std::array<uint8_t, kPasswordSaltBytes> salt;
  randombytes_buf(salt.data(), salt.size());
  return salt;
}

absl::StatusOr<DerivedKeys> DeriveKeys(std::string_view password, std::span<const uint8_t> salt,
                                       const PwhashParams& params) {
  InitSodium();
  static_assert(crypto_pwhash_SALTBYTES == kPasswordSaltBytes);
  if (salt.size() != kPasswordSaltBytes) {
    return absl::InvalidArgumentError("salt: must be 16 bytes");
  }
  if (params.opslimit < crypto_pwhash_OPSLIMIT_MIN || params.opslimit > kMaxOpslimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "opslimit: must be in [", crypto_pwhash_OPSLIMIT_MIN, ", ", kMaxOpslimit, "]"));
  }
  if (params.memlimit < crypto_pwhash_MEMLIMIT_MIN || params.memlimit > kMaxMemlimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "memlimit: must be in [", crypto_pwhash_MEMLIMIT_MIN, ", ", kMaxMemlimit, "] bytes"));
  }
  if (password.size() > crypto_pwhash_PASSWD_MAX) {
    return absl::InvalidArgumentError("password: too long");
  }
  SecretBytes out(64);
  if (crypto_pwhash(out.data(), out.size(), password.data(), password.size(), salt.data(),
                    params.opslimit, static_cast<size_t>(params.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("Argon2id failed: not enough memory for memlimit");
  }
  DerivedKeys keys{SecretBytes::CopyOf(out.span().first(32)),
                   SecretBytes::CopyOf(out.span().subspan(32))};
  return keys;
}

absl::Status CheckPwhashStrength(const PwhashParams& params) {
  PwhashParams floor = PwhashParams::Interactive();
  if (params.opslimit < floor.opslimit || params.memlimit < floor.memlimit) {
    return absl::FailedPreconditionError(
        "password hashing parameters are weaker than Argon2id interactive (2, 64 MiB); "
        "refusing them");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> WrapIdentity(const SecretBytes& kek,
                                                  const X25519Identity& identity) {
  InitSodium();
  if (kek.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return absl::InvalidArgumentError("kek: must be 32 bytes");
  }
  std::vector<uint8_t> out(kWrappedIdentityBytes);
  uint8_t* nonce = out.data();
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + 24, &clen, identity.secret().data(),
                                             identity.secret().size(),
                                             reinterpret_cast<const uint8_t*>(kWrapAad.data()),
                                             kWrapAad.size(), nullptr, nonce, kek.data());
  return out;
}

absl::StatusOr<X25519Identity> UnwrapIdentity(const SecretBytes& kek,
                                              std::span<const uint8_t> wrapped) {
  InitSodium();
  if (kek.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return absl::InvalidArgumentError("kek: must be 32 bytes");
  }
  if (wrapped.size() != kWrappedIdentityBytes) {
    return absl::InvalidArgumentError("wrapped_identity: must be 72 bytes");
  }
  SecretBytes secret(kX25519KeyBytes);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          secret.data(), &mlen, nullptr, wrapped.data() + 24, wrapped.size() - 24,
          reinterpret_cast<const uint8_t*>(kWrapAad.data()), kWrapAad.size(), wrapped.data(),
          kek.data()) != 0) {
    return absl::PermissionDeniedError(
        "wrapped_identity: cannot be opened with this password (wrong password or altered)");
  }
  return X25519Identity::FromSecret(secret.span());
}

absl::StatusOr<std::vector<uint8_t>> RewrapIdentity(const SecretBytes& old_kek,
                                                    const SecretBytes& new_kek,
                                                    std::span<const uint8_t> wrapped) {
  absl::StatusOr<X25519Identity> id = UnwrapIdentity(old_kek, wrapped);
  if (!id.ok()) return id.status();
  return WrapIdentity(new_kek, *id);
}

absl::StatusOr<std::vector<uint8_t>> RecoveryProof(const X25519Identity& identity,
                                                   std::string_view ephemeral_recipient,
                                                   std::span<const uint8_t> challenge) {
  InitSodium();
  absl::StatusOr<X25519PublicKey> eph = ParseRecipient(ephemeral_recipient);
  if (!eph.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ephemeral_public: not an age recipient: ", eph.status().message()));
  }
  SecretBytes shared(32);
  if (crypto_scalarmult(shared.data(), identity.secret().data(), eph->bytes.data()) != 0) {
    return absl::InvalidArgumentError("ephemeral_public: low-order X25519 point");
  }
  std::vector<uint8_t> proof(32);
  crypto_generichash(proof.data(), proof.size(), challenge.data(), challenge.size(), shared.data(),
                     shared.size());
  return proof;
}

bool PwhashWeakerThan(const PwhashParams& current, const PwhashParams& target) {
  return current.opslimit < target.opslimit || current.memlimit < target.memlimit;
}

PwhashParams ChooseNewPwhashParams(const PwhashParams& recommended, const PwhashParams& current,
                                   bool allow_weak) {
  PwhashParams p{std::max(recommended.opslimit, current.opslimit),
                 std::max(recommended.memlimit, current.memlimit)};
  if (!allow_weak) {
    const PwhashParams floor = PwhashParams::Moderate();
    p = {std::max(p.opslimit, floor.opslimit), std::max(p.memlimit, floor.memlimit)};
  } else {
    const PwhashParams min = PwhashParams::MinimumForTests();
    p = {std::max(p.opslimit, min.opslimit), std::max(p.memlimit, min.memlimit)};
  }
  if (p.opslimit > kMaxOpslimit || p.memlimit > kMaxMemlimit) p = PwhashParams::Moderate();
  return p;
}

}  // namespace freehold::client
