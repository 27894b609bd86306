// Mapping between absl::Status (the core's result type) and grpc::Status (the wire).
// Part of freehold_grpc_common; core libraries must not include this.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace freehold {

// Maps codes 1:1 and keeps the message. Never produces UNKNOWN: an absl UNKNOWN (or an
// out-of-range code) becomes INTERNAL with the same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Maps codes 1:1 and keeps the message (a peer's UNKNOWN stays UNKNOWN here; it becomes
// INTERNAL again if passed back through ToGrpcStatus).
absl::Status FromGrpcStatus(const grpc::Status& status);

// The canonical upper-case name of a gRPC code: "OK", "INVALID_ARGUMENT", ...
// ("CODE_<n>" for values outside the enum).
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace freehold
