#include "services/storaged/grpc/shard_copy_service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "freehold/v1/storage.grpc.pb.h"

namespace freehold::storaged {
namespace {

constexpr size_t kMaxChannels = 1024;
constexpr size_t kMaxAddressBytes = 512;
constexpr absl::Duration kDefaultDeadline = absl::Minutes(5);

grpc::Status Fail(const Logger& log, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss) {
    log.Error("rpc failed", {{"rpc", "CopyShard"}, {"status", status}});
  } else {
    log.Debug("rpc refused", {{"rpc", "CopyShard"}, {"status", status}});
  }
  return ToGrpcStatus(status);
}

}  // namespace

ShardCopyGrpcService::ShardCopyGrpcService(StorageNode& node, ClientTlsOptions source_tls,
                                           Logger log, bool tls_enabled)
    : node_(node),
      source_tls_(std::move(source_tls)),
      log_(std::move(log)),
      tls_enabled_(tls_enabled) {}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ShardCopyGrpcService::ChannelFor(
    const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(address);
  if (it != channels_.end()) return it->second;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(address, source_tls_);
  if (!channel.ok()) return channel.status();
  if (channels_.size() >= kMaxChannels) channels_.clear();
  channels_[address] = *channel;
  return *channel;
}

grpc::Status ShardCopyGrpcService::CopyShard(grpc::ServerContext* context,
                                             const v1::CopyShardRequest* request,
                                             v1::PutShardResponse* response) {
  if (absl::Status s = AuthorizeCallerRole(*context, tls_enabled_, {kRoleCoordinator}); !s.ok()) {
    return Fail(log_, s);
  }
  if (request->put_grant().token().empty()) {
    return Fail(log_, absl::InvalidArgumentError("put_grant is required"));
  }
  if (request->source_grant().token().empty()) {
    return Fail(log_, absl::InvalidArgumentError("source_grant is required"));
  }
  const std::string& source = request->source_address();
  if (source.empty() || source.size() > kMaxAddressBytes) {
    return Fail(log_, absl::InvalidArgumentError(absl::StrCat(
                          "source_address must be a host:port of 1..", kMaxAddressBytes,
                          " bytes")));
  }
  absl::StatusOr<std::unique_ptr<ShardUpload>> upload = node_.BeginPut(request->put_grant().token());
  if (!upload.ok()) return Fail(log_, upload.status());
  // Dropping `upload` on any early return removes the temporary file.
  ShardUpload& shard = **upload;

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelFor(source);
  if (!channel.ok()) {
    return Fail(log_, absl::FailedPreconditionError(absl::StrCat(
                          "source ", source, ": ", channel.status().message())));
  }
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  absl::Time deadline = absl::Now() + kDefaultDeadline;
  if (context->deadline() != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(context->deadline()));
  }
  deadline = std::min(deadline, shard.expires_at());
  ctx.set_deadline(absl::ToChronoTime(deadline));
  v1::GetShardRequest get;
  get.mutable_grant()->set_token(request->source_grant().token());
  std::unique_ptr<grpc::ClientReader<v1::GetShardResponse>> reader = stub.GetShard(&ctx, get);
  v1::GetShardResponse chunk;
  absl::Status appended;
  while (reader->Read(&chunk)) {
    appended = shard.Append(chunk.data());
    if (!appended.ok() || context->IsCancelled()) {
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status read = reader->Finish();
  if (!appended.ok()) return Fail(log_, appended);
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "copy cancelled by the caller; nothing stored");
  }
  if (!read.ok()) {
    const absl::Status s = FromGrpcStatus(read);
    const std::string message =
        absl::StrCat("source ", source, " answered GetShard with ",
                     absl::StatusCodeToString(s.code()), ": ", s.message(), "; nothing stored");
    return Fail(log_, absl::IsDeadlineExceeded(s) ? absl::DeadlineExceededError(message)
                                                  : absl::FailedPreconditionError(message));
  }
  absl::StatusOr<ShardUpload::Result> result = shard.Finish();
  if (!result.ok()) return Fail(log_, result.status());
  response->mutable_receipt()->set_token(result->receipt_token);
  response->set_already_present(result->already_present);
  return grpc::Status::OK;
}

}  // namespace freehold::storaged
