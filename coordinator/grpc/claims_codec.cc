#include "coordinator/grpc/claims_codec.h"

namespace freehold::coordinator {

std::string ProtoClaimsCodec::EncodeGrant(const GrantSpec& grant) const {
  ShardGrant claims;
  claims.operation = static_cast<::freehold::GrantOperation>(grant.operation);
  claims.shard_key = grant.shard_key;
  claims.node_id = grant.node_id;
  claims.size_bytes = grant.size_bytes;
  claims.sha256 = grant.sha256;
  claims.expires_at = grant.expires_at;
  claims.object_id = grant.object_id;
  claims.segment = static_cast<uint32_t>(grant.segment);
  claims.shard_index = static_cast<uint32_t>(grant.shard_index);
  return ::freehold::EncodeGrant(claims);
}

absl::StatusOr<Receipt> ProtoClaimsCodec::DecodeReceipt(std::string_view payload) const {
  absl::StatusOr<ShardReceipt> claims = ::freehold::DecodeReceipt(payload);
  if (!claims.ok()) return claims.status();
  Receipt r;
  r.node_id = std::move(claims->node_id);
  r.shard_key = std::move(claims->shard_key);
  r.size_bytes = claims->size_bytes;
  r.sha256 = std::move(claims->sha256);
  r.stored_at = claims->stored_at;
  return r;
}

std::string ProtoClaimsCodec::EncodeReceipt(const Receipt& receipt) {
  ShardReceipt claims;
  claims.node_id = receipt.node_id;
  claims.shard_key = receipt.shard_key;
  claims.size_bytes = receipt.size_bytes;
  claims.sha256 = receipt.sha256;
  claims.stored_at = receipt.stored_at;
  return ::freehold::EncodeReceipt(claims);
}

}  // namespace freehold::coordinator
