#include "services/storaged/grpc/put_shard_messages.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace freehold::storaged {
namespace {

using google::protobuf::internal::WireFormatLite;

constexpr uint32_t kDataTag = WireFormatLite::MakeTag(v1::PutShardRequest::kDataFieldNumber,
                                                      WireFormatLite::WIRETYPE_LENGTH_DELIMITED);

}  // namespace

absl::StatusOr<PutShardPart> ReadPutShardMessage(
    grpc::ByteBuffer& buffer, uint64_t message_number,
    absl::FunctionRef<absl::Status(std::string_view)> sink, v1::PutShardRequest* request) {
  const size_t total = buffer.Length();
  {
    grpc::ProtoBufferReader stream(&buffer);
    if (!stream.status().ok()) {
      return absl::InternalError(absl::StrCat("cannot read PutShard message ", message_number));
    }
    google::protobuf::io::CodedInputStream in(&stream);
    uint32_t length = 0;
    if (in.ReadTag() == kDataTag && in.ReadVarint32(&length) &&
        static_cast<size_t>(in.CurrentPosition()) + length == total) {
      size_t remaining = length;
      while (remaining > 0) {
        const void* piece = nullptr;
        int size = 0;
        if (!in.GetDirectBufferPointer(&piece, &size) || size <= 0) {
          return absl::InternalError(
              absl::StrCat("PutShard message ", message_number, " ended early"));
        }
        const size_t take = std::min(static_cast<size_t>(size), remaining);
        FH_RETURN_IF_ERROR(sink(std::string_view(static_cast<const char*>(piece), take)));
        in.Skip(static_cast<int>(take));
        remaining -= take;
      }
      return PutShardPart::kData;
    }
  }
  grpc::ProtoBufferReader stream(&buffer);
  if (!stream.status().ok() || !request->ParseFromZeroCopyStream(&stream)) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", message_number, " of the stream is not a PutShardRequest"));
  }
  return PutShardPart::kParsed;
}

}  // namespace freehold::storaged
