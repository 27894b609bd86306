// Signed grants (coordinator -> storage daemons) and receipts (daemons ->
// coordinator), docs/ARCHITECTURE.md#6-grants-and-receipts. The claims are protobuf messages
// (storage.proto GrantClaims / ReceiptClaims, deterministic serialization); the core reaches them
// through ClaimsCodec so it stays free of generated code. Tokens use common/signed_token.h with the
// contexts below.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/signed_token.h"

namespace freehold::coordinator {

inline constexpr std::string_view kGrantContext = "grant";
inline constexpr std::string_view kReceiptContext = "receipt";

// Values equal proto GrantOperation.
enum class GrantOperation : int { kPut = 1, kGet = 2, kDelete = 3, kAudit = 4 };

struct GrantSpec {
  GrantOperation operation = GrantOperation::kPut;
  std::string shard_key;
  std::string node_id;
  uint64_t size_bytes = 0;  // PUT: exact; GET: upper bound (0 = any)
  std::string sha256;       // PUT: 32 raw bytes; empty otherwise
  absl::Time expires_at = absl::UnixEpoch();
  std::string object_id;
  int segment = 0;
  int shard_index = 0;
};

struct Receipt {
  std::string node_id;
  std::string shard_key;
  uint64_t size_bytes = 0;
  std::string sha256;  // 32 raw bytes
  absl::Time stored_at = absl::UnixEpoch();
};

// Encodes grant claims and decodes receipt claims. Thread-safe.
class ClaimsCodec {
 public:
  virtual ~ClaimsCodec() = default;
  // Deterministic bytes of GrantClaims.
  virtual std::string EncodeGrant(const GrantSpec& grant) const = 0;
  // INVALID_ARGUMENT if the bytes are not ReceiptClaims.
  virtual absl::StatusOr<Receipt> DecodeReceipt(std::string_view payload) const = 0;
};

// Signs grants with the coordinator key. Immutable, thread-safe.
// Thread-safe. The signing key can be replaced while grants are being signed
// (SetKey: key rotation without restart, grant_keys.h); each grant is signed whole
// with one key.
class GrantSigner {
 public:
  GrantSigner(SigningKey key, const ClaimsCodec& codec)
      : signer_(std::make_shared<const TokenSigner>(std::move(key))), codec_(codec) {}
  std::string Sign(const GrantSpec& grant) const {
    return current()->Sign(codec_.EncodeGrant(grant), kGrantContext);
  }
  PublicKey public_key() const { return current()->public_key(); }
  const ClaimsCodec& codec() const { return codec_; }

  // Signs every later grant with `key`. Grants signed before stay valid wherever the
  // previous public key is still trusted (storaged --coordinator-keys).
  void SetKey(SigningKey key) {
    auto next = std::make_shared<const TokenSigner>(std::move(key));
    absl::MutexLock lock(&mu_);
    signer_ = std::move(next);
  }

 private:
  std::shared_ptr<const TokenSigner> current() const {
    absl::MutexLock lock(&mu_);
    return signer_;
  }
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenSigner> signer_ ABSL_GUARDED_BY(mu_);
  const ClaimsCodec& codec_;
};

// The claims of a receipt token without checking its signature (to learn which
// shard it is for). INVALID_ARGUMENT on a malformed token.
absl::StatusOr<Receipt> PeekReceipt(std::string_view token, const ClaimsCodec& codec);

// Verifies a receipt token against a node's raw 32-byte Ed25519 public key.
// UNAUTHENTICATED if the signature does not verify with that key.
absl::StatusOr<Receipt> VerifyReceipt(std::string_view token, std::string_view node_public_key,
                                      const ClaimsCodec& codec);

}  // namespace freehold::coordinator
