// Shard bytes on the wire without protobuf copies. PutShardRequest and
// GetShardResponse (storage.proto) carry megabytes of shard data; the
// generated classes would copy every byte into and out of std::string on top
// of gRPC's own buffers. These two message types have their own gRPC
// serialization producing the same protobuf wire format:
//  - RawPutChunk serializes a data chunk as a slice that points at the
//    caller's memory (which must stay alive until the call finishes);
//  - RawGetChunk parses a GetShardResponse straight from gRPC's receive
//    slices into the caller's buffer, hashing as it copies.
// Used through the same RPC methods as the generated stub (storage_nodes.cc).
#pragma once

#include <grpcpp/impl/serialization_traits.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <span>
#include <string>

#include "common/bulk/sha256.h"

namespace freehold::cli {

// One message of the PutShard stream: the grant (first) or a data chunk.
struct RawPutChunk {
  std::string grant_token;        // set for the first message only
  std::span<const uint8_t> data;  // otherwise: bytes, not copied
};

// Receives GetShardResponse messages into dest[0..], hashing them.
struct RawGetChunk {
  std::span<uint8_t> dest;
  size_t received = 0;  // bytes written to dest so far
  bulk::Sha256* hash = nullptr;
  bool overflow = false;   // the daemon sent more than dest holds
  bool malformed = false;  // not a GetShardResponse
};

// Protobuf wire helpers (exposed for tests).
void AppendVarint(uint64_t v, std::string* out);

}  // namespace freehold::cli

namespace grpc {

template <>
class SerializationTraits<freehold::cli::RawPutChunk, void> {
 public:
  static Status Serialize(const freehold::cli::RawPutChunk& msg, ByteBuffer* buffer,
                          bool* own_buffer);
  static Status Deserialize(ByteBuffer* buffer, freehold::cli::RawPutChunk* msg);
};

template <>
class SerializationTraits<freehold::cli::RawGetChunk, void> {
 public:
  static Status Serialize(const freehold::cli::RawGetChunk& msg, ByteBuffer* buffer,
                          bool* own_buffer);
  static Status Deserialize(ByteBuffer* buffer, freehold::cli::RawGetChunk* msg);
};

}  // namespace grpc
