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
#include "common/shard_claims.h"
#include "common/signed_token.h"
#include "services/storaged/core/key_ring.h"

namespace freehold::storaged {

// Signature contexts (common/signed_token.h) of grant and receipt tokens.
// The claims and their encoding are shared with the coordinator
// (common/shard_claims.h); these names keep the daemon's code short.
using Grant = ::freehold::ShardGrant;
using Receipt = ::freehold::ShardReceipt;

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
