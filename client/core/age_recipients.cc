#include "client/core/age_recipients.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/core/internal/encoding.h"
#include "client/core/internal/hkdf.h"

namespace freehold::client {
namespace {

constexpr std::string_view kX25519Type = "X25519";
constexpr std::string_view kX25519Info = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptType = "scrypt";
constexpr std::string_view kScryptLabel = "age-encryption.org/v1/scrypt";
constexpr size_t kScryptSaltBytes = 16;
constexpr size_t kWrappedKeyBytes = kFileKeyBytes + 16;

absl::Status HeaderError(std::string_view what) {
  return absl::InvalidArgumentError(std::string("age header: ").append(what));
}

// ChaCha20-Poly1305 with an all-zero nonce, as age uses for stanza bodies.
std::vector<uint8_t> SealFileKey(const SecretBytes& wrap_key, const SecretBytes& file_key) {
  std::vector<uint8_t> body(kWrappedKeyBytes);
  uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
  unsigned long long n = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(body.data(), &n, file_key.data(), file_key.size(),
                                            nullptr, 0, nullptr, nonce, wrap_key.data());
  return body;
}

// nullopt-equivalent: empty SecretBytes when authentication fails.
SecretBytes OpenFileKey(const SecretBytes& wrap_key, std::span<const uint8_t> body) {
  SecretBytes key(kFileKeyBytes);
  uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
  unsigned long long n = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(key.data(), &n, nullptr, body.data(), body.size(),
                                                nullptr, 0, nonce, wrap_key.data()) != 0) {
    return SecretBytes();
  }
  return key;
}

absl::Status CheckFileKey(const SecretBytes& file_key) {
  if (file_key.size() != kFileKeyBytes) {
    return absl::InvalidArgumentError("file key must be 16 bytes");
  }
  return absl::OkStatus();
}

// Parses a decimal work factor with no sign, leading zero or garbage.
bool ParseLogN(std::string_view s, int* out) {
  if (s.empty() || s.size() > 2 || s[0] < '1' || s[0] > '9') return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

SecretBytes ScryptKey(const SecretBytes& passphrase, std::span<const uint8_t> salt, int log_n,
                      absl::Status* status) {
  std::string full_salt(kScryptLabel);
  full_salt.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  SecretBytes key(32);
  if (crypto_pwhash_scryptsalsa208sha256_ll(
          passphrase.data(), passphrase.size(), reinterpret_cast<const uint8_t*>(full_salt.data()),
          full_salt.size(), uint64_t{1} << log_n, 8, 1, key.data(), key.size()) != 0) {
    *status = absl::ResourceExhaustedError("scrypt: not enough memory for the work factor");
    return SecretBytes();
  }
  return key;
}

}  // namespace

absl::StatusOr<std::vector<Stanza>> X25519Recipient::Wrap(const SecretBytes& file_key) const {
  if (absl::Status s = CheckFileKey(file_key); !s.ok()) return s;
  if (sodium_init() < 0) std::abort();
  SecretBytes ephemeral = SecretBytes::Random(32);
  uint8_t share[32];
  crypto_scalarmult_base(share, ephemeral.data());
  SecretBytes shared(32);
  if (crypto_scalarmult(shared.data(), ephemeral.data(), key_.bytes.data()) != 0) {
    return absl::InvalidArgumentError("recipient: X25519 public key is a low-order point");
  }
  uint8_t salt[64];
  std::memcpy(salt, share, 32);
  std::memcpy(salt + 32, key_.bytes.data(), 32);
  SecretBytes wrap_key = internal::HkdfSha256(shared.span(), salt, kX25519Info, 32);
  Stanza st;
  st.type = std::string(kX25519Type);
  st.args.push_back(internal::Base64Encode(share, false));
  st.body = SealFileKey(wrap_key, file_key);
  return std::vector<Stanza>{std::move(st)};
}

absl::StatusOr<SecretBytes> X25519AgeIdentity::Unwrap(std::span<const Stanza> stanzas) const {
  for (const Stanza& st : stanzas) {
    if (st.type != kX25519Type) continue;
    if (st.args.size() != 1) return HeaderError("X25519 stanza must have exactly one argument");
    std::optional<std::vector<uint8_t>> share = internal::Base64Decode(st.args[0], false);
    if (!share || share->size() != 32) return HeaderError("X25519 stanza share is malformed");
    if (st.body.size() != kWrappedKeyBytes) return HeaderError("X25519 stanza body size");
    SecretBytes shared(32);
    // crypto_scalarmult fails when the result is all zero (low-order share).
    if (crypto_scalarmult(shared.data(), identity_.secret().data(), share->data()) != 0) {
      return HeaderError("X25519 share gives an all-zero shared secret");
    }
    uint8_t salt[64];
    std::memcpy(salt, share->data(), 32);
    std::memcpy(salt + 32, identity_.public_key().bytes.data(), 32);
    SecretBytes wrap_key = internal::HkdfSha256(shared.span(), salt, kX25519Info, 32);
    SecretBytes key = OpenFileKey(wrap_key, st.body);
    if (!key.empty()) return key;
  }
  return absl::NotFoundError("no X25519 stanza matches this identity");
}

absl::StatusOr<std::vector<Stanza>> ScryptRecipient::Wrap(const SecretBytes& file_key) const {
  if (absl::Status s = CheckFileKey(file_key); !s.ok()) return s;
  if (log_n_ < 1 || log_n_ > 30) return absl::InvalidArgumentError("scrypt: log_n out of range");
  if (sodium_init() < 0) std::abort();
  uint8_t salt[kScryptSaltBytes];
  randombytes_buf(salt, sizeof salt);
  absl::Status status;
  SecretBytes key = ScryptKey(passphrase_, salt, log_n_, &status);
  if (!status.ok()) return status;
  Stanza st;
  st.type = std::string(kScryptType);
  st.args.push_back(internal::Base64Encode(salt, false));
  st.args.push_back(absl::StrCat(log_n_));
  st.body = SealFileKey(key, file_key);
  return std::vector<Stanza>{std::move(st)};
}

absl::StatusOr<SecretBytes> ScryptAgeIdentity::Unwrap(std::span<const Stanza> stanzas) const {
  for (const Stanza& st : stanzas) {
    if (st.type != kScryptType) continue;
    if (st.args.size() != 2) return HeaderError("scrypt stanza must have exactly two arguments");
    std::optional<std::vector<uint8_t>> salt = internal::Base64Decode(st.args[0], false);
    if (!salt || salt->size() != kScryptSaltBytes) return HeaderError("scrypt salt is malformed");
    int log_n = 0;
    if (!ParseLogN(st.args[1], &log_n)) return HeaderError("scrypt work factor is malformed");
    if (log_n > max_log_n_) {
      return HeaderError(
          absl::StrCat("scrypt work factor ", log_n, " exceeds the maximum ", max_log_n_));
    }
    if (st.body.size() != kWrappedKeyBytes) return HeaderError("scrypt stanza body size");
    absl::Status status;
    SecretBytes key = ScryptKey(passphrase_, *salt, log_n, &status);
    if (!status.ok()) return status;
    SecretBytes file_key = OpenFileKey(key, st.body);
    if (!file_key.empty()) return file_key;
  }
  return absl::NotFoundError("no scrypt stanza opens with this passphrase");
}

}  // namespace freehold::client
