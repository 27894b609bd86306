// Reading PutShard request messages straight from gRPC's receive buffers (part of
// the thin gRPC layer). A data message is what every protobuf encoder writes for
// PutShardRequest{data}: the tag of field `data`, its length, the bytes. Those bytes
// are handed over piece by piece as they lie in gRPC's slices, without the copy that
// parsing into a PutShardRequest makes; anything else is parsed in full, so the
// meaning of a message is always protobuf's.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "freehold/v1/storage.pb.h"

namespace freehold::storaged {

enum class PutShardPart {
  kData,    // the message was exactly field `data`; its bytes went to the sink
  kParsed,  // the message was parsed into *request (any shape protobuf accepts)
};

// Reads one message. The sink receives the data bytes in order (possibly in several
// pieces, possibly none for empty data); its first error is returned as is.
// INVALID_ARGUMENT "message N ..." if the bytes are not a PutShardRequest.
absl::StatusOr<PutShardPart> ReadPutShardMessage(
    grpc::ByteBuffer& buffer, uint64_t message_number,
    absl::FunctionRef<absl::Status(std::string_view)> sink, v1::PutShardRequest* request);

}  // namespace freehold::storaged
