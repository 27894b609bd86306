#include "coordinator/grpc/claims_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "freehold/v1/storage.pb.h"

namespace freehold::coordinator {

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

std::string ProtoClaimsCodec::EncodeGrant(const GrantSpec& grant) const {
  v1::GrantClaims claims;
  claims.set_operation(static_cast<v1::GrantOperation>(grant.operation));
  claims.set_shard_key(grant.shard_key);
  claims.set_node_id(grant.node_id);
  claims.set_size_bytes(grant.size_bytes);
  claims.set_sha256(grant.sha256);
  claims.set_expires_unix_seconds(absl::ToUnixSeconds(grant.expires_at));
  claims.set_object_id(grant.object_id);
  claims.set_segment(static_cast<uint32_t>(grant.segment));
  claims.set_shard_index(static_cast<uint32_t>(grant.shard_index));
  return SerializeDeterministic(claims);
}

absl::StatusOr<Receipt> ProtoClaimsCodec::DecodeReceipt(std::string_view payload) const {
  v1::ReceiptClaims claims;
  if (!claims.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("receipt payload is not a ReceiptClaims message");
  }
  Receipt r;
  r.node_id = claims.node_id();
  r.shard_key = claims.shard_key();
  r.size_bytes = claims.size_bytes();
  r.sha256 = claims.sha256();
  r.stored_at = absl::FromUnixSeconds(claims.stored_unix_seconds());
  return r;
}

std::string ProtoClaimsCodec::EncodeReceipt(const Receipt& receipt) {
  v1::ReceiptClaims claims;
  claims.set_node_id(receipt.node_id);
  claims.set_shard_key(receipt.shard_key);
  claims.set_size_bytes(receipt.size_bytes);
  claims.set_sha256(receipt.sha256);
  claims.set_stored_unix_seconds(absl::ToUnixSeconds(receipt.stored_at));
  return SerializeDeterministic(claims);
}

}  // namespace freehold::coordinator
