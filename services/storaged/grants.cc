// The only file of storaged_core that sees protobuf types: it converts between
// storage.proto claims and the plain structs of grants.h.
#include "services/storaged/grants.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "freehold/v1/storage.pb.h"
#include "services/storaged/internal/sv.h"
#include "services/storaged/shard_key.h"

namespace freehold::storaged {
namespace {

std::string SerializeDeterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace

std::string_view GrantOperationName(GrantOperation op) {
  switch (op) {
    case GrantOperation::kPut:
      return "PUT";
    case GrantOperation::kGet:
      return "GET";
    case GrantOperation::kDelete:
      return "DELETE";
    case GrantOperation::kAudit:
      return "AUDIT";
    default:
      return "UNSPECIFIED";
  }
}

std::string EncodeGrant(const Grant& grant) {
  v1::GrantClaims claims;
  claims.set_operation(static_cast<v1::GrantOperation>(grant.operation));
  claims.set_shard_key(grant.shard_key);
  claims.set_node_id(grant.node_id);
  claims.set_size_bytes(grant.size_bytes);
  claims.set_sha256(grant.sha256);
  claims.set_expires_unix_seconds(absl::ToUnixSeconds(grant.expires_at));
  claims.set_object_id(grant.object_id);
  claims.set_segment(grant.segment);
  claims.set_shard_index(grant.shard_index);
  return SerializeDeterministic(claims);
}

absl::StatusOr<Grant> DecodeGrant(std::string_view payload) {
  v1::GrantClaims claims;
  if (!claims.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("grant payload is not a GrantClaims message");
  }
  Grant grant;
  const int op = claims.operation();
  grant.operation =
      (op >= 1 && op <= 4) ? static_cast<GrantOperation>(op) : GrantOperation::kUnspecified;
  grant.shard_key = claims.shard_key();
  grant.node_id = claims.node_id();
  grant.size_bytes = claims.size_bytes();
  grant.sha256 = claims.sha256();
  grant.expires_at = absl::FromUnixSeconds(claims.expires_unix_seconds());
  grant.object_id = claims.object_id();
  grant.segment = claims.segment();
  grant.shard_index = claims.shard_index();
  return grant;
}

std::string EncodeReceipt(const Receipt& receipt) {
  v1::ReceiptClaims claims;
  claims.set_node_id(receipt.node_id);
  claims.set_shard_key(receipt.shard_key);
  claims.set_size_bytes(receipt.size_bytes);
  claims.set_sha256(receipt.sha256);
  claims.set_stored_unix_seconds(absl::ToUnixSeconds(receipt.stored_at));
  return SerializeDeterministic(claims);
}

absl::StatusOr<Receipt> DecodeReceipt(std::string_view payload) {
  v1::ReceiptClaims claims;
  if (!claims.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("receipt payload is not a ReceiptClaims message");
  }
  Receipt receipt;
  receipt.node_id = claims.node_id();
  receipt.shard_key = claims.shard_key();
  receipt.size_bytes = claims.size_bytes();
  receipt.sha256 = claims.sha256();
  receipt.stored_at = absl::FromUnixSeconds(claims.stored_unix_seconds());
  return receipt;
}

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
