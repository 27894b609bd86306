// The claims inside the signed tokens that coordinator and storage daemons
// exchange (storage.proto GrantClaims / ReceiptClaims), as plain structs, and
// their one canonical encoding: protobuf serialized deterministically, so a
// signature made by one process verifies in the other.
//
// Grants are signed by the coordinator with context kGrantContext; receipts by
// a storage node's key with context kReceiptContext (common/signed_token.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace google::protobuf {
class MessageLite;
}

namespace freehold {

inline constexpr std::string_view kGrantContext = "grant";
inline constexpr std::string_view kReceiptContext = "receipt";

// Values equal storage.proto's GrantOperation.
enum class GrantOperation { kUnspecified = 0, kPut = 1, kGet = 2, kDelete = 3, kAudit = 4 };
// "PUT", "GET", "DELETE", "AUDIT" or "UNSPECIFIED".
std::string_view GrantOperationName(GrantOperation op);

struct ShardGrant {
  GrantOperation operation = GrantOperation::kUnspecified;
  std::string shard_key;
  std::string node_id;
  uint64_t size_bytes = 0;  // PUT: exact size; GET: upper bound (0 = any)
  std::string sha256;       // raw 32 bytes (PUT: required; empty otherwise)
  absl::Time expires_at = absl::UnixEpoch();  // whole seconds on the wire
  std::string object_id;
  uint32_t segment = 0;
  uint32_t shard_index = 0;
};

struct ShardReceipt {
  std::string node_id;
  std::string shard_key;
  uint64_t size_bytes = 0;
  std::string sha256;  // raw 32 bytes
  absl::Time stored_at = absl::UnixEpoch();  // whole seconds on the wire
};

// Encodings are deterministic. Decoding fails INVALID_ARGUMENT when the bytes
// are not the message; an unknown operation decodes as kUnspecified.
std::string EncodeGrant(const ShardGrant& grant);
absl::StatusOr<ShardGrant> DecodeGrant(std::string_view payload);
std::string EncodeReceipt(const ShardReceipt& receipt);
absl::StatusOr<ShardReceipt> DecodeReceipt(std::string_view payload);

// Deterministic serialization of any message: what node-call signatures
// (RegisterNode, Heartbeat) sign, with the signature field empty.
std::string SerializeDeterministic(const google::protobuf::MessageLite& message);

}  // namespace freehold
