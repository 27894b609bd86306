#include "common/shard_claims.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "freehold/v1/storage.pb.h"

namespace freehold {

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

std::string EncodeGrant(const ShardGrant& grant) {
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

absl::StatusOr<ShardGrant> DecodeGrant(std::string_view payload) {
  v1::GrantClaims claims;
  if (!claims.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("grant payload is not a GrantClaims message");
  }
  ShardGrant grant;
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

std::string EncodeReceipt(const ShardReceipt& receipt) {
  v1::ReceiptClaims claims;
  claims.set_node_id(receipt.node_id);
  claims.set_shard_key(receipt.shard_key);
  claims.set_size_bytes(receipt.size_bytes);
  claims.set_sha256(receipt.sha256);
  claims.set_stored_unix_seconds(absl::ToUnixSeconds(receipt.stored_at));
  return SerializeDeterministic(claims);
}

absl::StatusOr<ShardReceipt> DecodeReceipt(std::string_view payload) {
  v1::ReceiptClaims claims;
  if (!claims.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("receipt payload is not a ReceiptClaims message");
  }
  ShardReceipt receipt;
  receipt.node_id = claims.node_id();
  receipt.shard_key = claims.shard_key();
  receipt.size_bytes = claims.size_bytes();
  receipt.sha256 = claims.sha256();
  receipt.stored_at = absl::FromUnixSeconds(claims.stored_unix_seconds());
  return receipt;
}

}  // namespace freehold
