// Grant checks and receipt signing over the shared claims (common/shard_claims.h).
#include "services/storaged/core/grants.h"

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "services/storaged/core/internal/sv.h"
#include "services/storaged/core/shard_key.h"

namespace freehold::storaged {

std::string SignGrant(const TokenSigner& coordinator, const Grant& grant) {
  return coordinator.Sign(EncodeGrant(grant), kGrantContext);
}

GrantChecker::GrantChecker(const CoordinatorKeyRing& keys, std::string node_id, Clock& clock,
                           uint64_t max_shard_bytes)
    : keys_(keys), node_id_(std::move(node_id)), clock_(clock), max_shard_bytes_(max_shard_bytes) {}

absl::StatusOr<Grant> GrantChecker::Check(std::string_view token, GrantOperation expected) const {
  if (token.empty()) return absl::InvalidArgumentError("grant is required (grant.token is empty)");
  absl::StatusOr<std::string> payload = keys_.verifier()->Verify(token, kGrantContext);
  if (!payload.ok()) {
    return absl::UnauthenticatedError(absl::StrCat("grant rejected: ", payload.status().message()));
  }
  absl::StatusOr<Grant> grant = DecodeGrant(*payload);
  if (!grant.ok()) return absl::UnauthenticatedError("grant rejected: malformed grant claims");
  if (grant->node_id != node_id_) {
    return absl::PermissionDeniedError(
        absl::StrCat("grant is for node '", grant->node_id, "', this is node ", node_id_));
  }
  if (grant->operation != expected) {
    return absl::PermissionDeniedError(
        absl::StrCat("grant allows operation ", internal::Sv(GrantOperationName(grant->operation)),
                     ", this call needs ", internal::Sv(GrantOperationName(expected))));
  }
  const absl::Time now = clock_.Now();
  if (now >= grant->expires_at) {
    return absl::DeadlineExceededError(
        absl::StrCat("grant expired at ", absl::ToUnixSeconds(grant->expires_at),
                     " (unix seconds); ask the coordinator for a new grant"));
  }
  absl::Status key_ok = ValidateShardKey(grant->shard_key, "grant.shard_key");
  if (!key_ok.ok()) return key_ok;
  if (expected == GrantOperation::kPut) {
    if (grant->sha256.size() != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("grant.sha256 is ", grant->sha256.size(), " bytes; a SHA-256 is 32"));
    }
    if (grant->size_bytes > max_shard_bytes_) {
      return absl::InvalidArgumentError(absl::StrCat("grant.size_bytes ", grant->size_bytes,
                                                     " exceeds this node's maximum shard size ",
                                                     max_shard_bytes_));
    }
  }
  return grant;
}

std::string ReceiptSigner::Sign(const Receipt& receipt) const {
  return signer_.Sign(EncodeReceipt(receipt), kReceiptContext);
}

}  // namespace freehold::storaged
