// age recipient stanza types: X25519 (public keys) and scrypt (passphrases).
//
// An AgeRecipient wraps a 16-byte file key into stanzas; an AgeIdentity tries
// to unwrap the file key from a header's stanzas.
//
// AgeIdentity::Unwrap contract (mirrors the reference implementation):
//  - the file key (16 bytes) if one stanza of its type opens;
//  - NOT_FOUND if no stanza of its type opens (wrong key, other types);
//  - INVALID_ARGUMENT ("age header: ...") if a stanza of its type is malformed
//    (argument count, share or salt length, non-canonical base64, body not 32
//    bytes, all-zero X25519 shared secret, scrypt work factor too large).
// Implementations are immutable after construction and thread-compatible.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/core/age_header.h"
#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

inline constexpr size_t kFileKeyBytes = 16;

class AgeRecipient {
 public:
  virtual ~AgeRecipient() = default;
  virtual absl::StatusOr<std::vector<Stanza>> Wrap(const SecretBytes& file_key) const = 0;
};

class AgeIdentity {
 public:
  virtual ~AgeIdentity() = default;
  virtual absl::StatusOr<SecretBytes> Unwrap(std::span<const Stanza> stanzas) const = 0;
};

class X25519Recipient final : public AgeRecipient {
 public:
  explicit X25519Recipient(const X25519PublicKey& key) : key_(key) {}
  absl::StatusOr<std::vector<Stanza>> Wrap(const SecretBytes& file_key) const override;

 private:
  X25519PublicKey key_;
};

class X25519AgeIdentity final : public AgeIdentity {
 public:
  explicit X25519AgeIdentity(X25519Identity identity) : identity_(std::move(identity)) {}
  absl::StatusOr<SecretBytes> Unwrap(std::span<const Stanza> stanzas) const override;
  const X25519Identity& identity() const { return identity_; }

 private:
  X25519Identity identity_;
};

// age's default work factor for new scrypt stanzas (2^18, ~1 s, 256 MiB).
inline constexpr int kScryptDefaultLogN = 18;
// Largest work factor accepted when decrypting (as the reference does).
inline constexpr int kScryptMaxLogN = 22;

class ScryptRecipient final : public AgeRecipient {
 public:
  // log_n in [1, 30]; Wrap returns INVALID_ARGUMENT otherwise. An scrypt
  // stanza must be the only stanza of a header (Wrap returns one stanza; the
  // header builder enforces the rule).
  explicit ScryptRecipient(std::string_view passphrase, int log_n = kScryptDefaultLogN)
      : passphrase_(SecretBytes::CopyOf(passphrase)), log_n_(log_n) {}
  absl::StatusOr<std::vector<Stanza>> Wrap(const SecretBytes& file_key) const override;

 private:
  SecretBytes passphrase_;
  int log_n_;
};

class ScryptAgeIdentity final : public AgeIdentity {
 public:
  explicit ScryptAgeIdentity(std::string_view passphrase, int max_log_n = kScryptMaxLogN)
      : passphrase_(SecretBytes::CopyOf(passphrase)), max_log_n_(max_log_n) {}
  absl::StatusOr<SecretBytes> Unwrap(std::span<const Stanza> stanzas) const override;

 private:
  SecretBytes passphrase_;
  int max_log_n_;
};

}  // namespace freehold::client
