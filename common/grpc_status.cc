// absl::Status <-> grpc::Status. The numeric codes are identical by design.
#include "common/grpc_status.h"

#include "absl/strings/str_cat.h"

namespace freehold {
namespace {

constexpr char kTruncated[] = " ... (truncated)";

std::string BoundedMessage(absl::string_view message) {
  if (message.size() <= kMaxStatusMessageBytes) return std::string(message);
  size_t keep = kMaxStatusMessageBytes - (sizeof(kTruncated) - 1);
  // Back up over UTF-8 continuation bytes so no character is cut in half.
  while (keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0) == 0x80) --keep;
  return absl::StrCat(message.substr(0, keep), kTruncated);
}

}  // namespace

std::string GrpcCodeName(grpc::StatusCode code) {
  const int c = static_cast<int>(code);
  if (c < 0 || c > 16) return absl::StrCat("CODE_", c);
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(c));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int c = static_cast<int>(status.code());
  std::string message = BoundedMessage(status.message());
  if (c <= 0 || c > 16 || status.code() == absl::StatusCode::kUnknown) {
    if (message.empty()) message = "internal error";
    return grpc::Status(grpc::StatusCode::INTERNAL, message);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(c), message);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const int c = static_cast<int>(status.error_code());
  if (c < 0 || c > 16) return absl::InternalError(status.error_message());
  return absl::Status(static_cast<absl::StatusCode>(c), status.error_message());
}

}  // namespace freehold
