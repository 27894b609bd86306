// Grants (signed by the coordinator, checked here) and receipts (signed here with
// the node key), as plain C++ types. The wire encoding is storage.proto's
// GrantClaims / ReceiptClaims serialized deterministically, carried as the payload
// of a common/signed_token.h compact token with context "grant" / "receipt".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/signed_token.h"
#include "services/storaged/key_ring.h"

namespace freehold::storaged {

// Signature contexts (common/signed_token.h) of grant and receipt tokens.
inline constexpr std::string_view kGrantContext = "grant";
inline constexpr std::string_view kReceiptContext = "receipt";

// Values equal storage.proto GrantOperation.
enum class GrantOperation { kUnspecified = 0, kPut = 1, kGet = 2, kDelete = 3, kAudit = 4 };
std::string_view GrantOperationName(GrantOperation op);

struct Grant {
  GrantOperation operation = GrantOperation::kUnspecified;
  std::string shard_key;
  std::string node_id;
  uint64_t size_bytes = 0;  // PUT: exact size; GET: upper bound (0 = any)
  std::string sha256;       // raw 32 bytes (PUT: required)
  absl::Time expires_at = absl::UnixEpoch();
  std::string object_id;
  uint32_t segment = 0;
  uint32_t shard_index = 0;
};

struct Receipt {
  std::string node_id;
  std::string shard_key;
  uint64_t size_bytes = 0;
  std::string sha256;  // raw 32 bytes
  absl::Time stored_at = absl::UnixEpoch();
};

// Deterministic GrantClaims / ReceiptClaims bytes, and back (INVALID_ARGUMENT when
// the bytes are not a valid message).
std::string EncodeGrant(const Grant& grant);
absl::StatusOr<Grant> DecodeGrant(std::string_view payload);
std::string EncodeReceipt(const Receipt& receipt);
absl::StatusOr<Receipt> DecodeReceipt(std::string_view payload);

// Signs a grant token as a coordinator would (tests, benchmarks, tools).
std::string SignGrant(const TokenSigner& coordinator, const Grant& grant);

// Checks grant tokens for this node. Thread-safe; `keys` and `clock` must outlive it.
class GrantChecker {
 public:
  GrantChecker(const CoordinatorKeyRing& keys, std::string node_id, Clock& clock,
               uint64_t max_shard_bytes);

  // Checks, in this order, with these statuses (messages name the field):
  //   empty token                              -> INVALID_ARGUMENT "grant is required"
  //   signature/unknown key/malformed token    -> UNAUTHENTICATED
  //   payload not a GrantClaims                -> UNAUTHENTICATED "malformed grant"
  //   grant.node_id != this node               -> PERMISSION_DENIED
  //   grant.operation != `expected`            -> PERMISSION_DENIED
  //   now >= grant.expires_at                  -> DEADLINE_EXCEEDED "grant expired ..."
  //   grant.shard_key syntax                   -> INVALID_ARGUMENT
  //   PUT: sha256 not 32 bytes, size too big   -> INVALID_ARGUMENT
  absl::StatusOr<Grant> Check(std::string_view token, GrantOperation expected) const;

  const std::string& node_id() const { return node_id_; }

 private:
  const CoordinatorKeyRing& keys_;
  const std::string node_id_;
  Clock& clock_;
  const uint64_t max_shard_bytes_;
};

// Signs receipts with the node key. Immutable, thread-safe.
class ReceiptSigner {
 public:
  explicit ReceiptSigner(const SigningKey& node_key) : signer_(node_key) {}
  std::string Sign(const Receipt& receipt) const;
  PublicKey public_key() const { return signer_.public_key(); }

 private:
  TokenSigner signer_;
};

}  // namespace freehold::storaged
