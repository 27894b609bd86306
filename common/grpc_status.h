// Mapping between absl::Status (the core's result type) and grpc::Status (the wire).
// Part of freehold_grpc_common; core libraries must not include this.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"

namespace freehold {

// The longest message ToGrpcStatus puts on the wire. The message travels in the
// grpc-message trailer: one that echoed unbounded input (a 10 MB identifier) would
// overflow the peer's metadata limit and arrive as RESOURCE_EXHAUSTED instead.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// Maps codes 1:1 and keeps the message, cut to kMaxStatusMessageBytes at a UTF-8
// boundary with " ... (truncated)" appended if longer. Never produces UNKNOWN: an absl
// UNKNOWN (or an out-of-range code) becomes INTERNAL with the same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Maps codes 1:1 and keeps the message (a peer's UNKNOWN stays UNKNOWN here; it becomes
// INTERNAL again if passed back through ToGrpcStatus).
absl::Status FromGrpcStatus(const grpc::Status& status);

// The canonical upper-case name of a gRPC code: "OK", "INVALID_ARGUMENT", ...
// ("CODE_<n>" for values outside the enum).
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace freehold
