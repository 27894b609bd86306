#include "services/storaged/grpc/storage_grpc_service.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/impl/codegen/method_handler.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "services/storaged/grpc/put_shard_messages.h"

namespace freehold::storaged {
namespace {

constexpr absl::Duration kIdleUploadCancelDelay = absl::Seconds(1);

grpc::Status Fail(const Logger& log, std::string_view rpc, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss) {
    log.Error("rpc failed", {{"rpc", rpc}, {"status", status}});
  } else {
    log.Debug("rpc refused", {{"rpc", rpc}, {"status", status}});
  }
  return ToGrpcStatus(status);
}

}  // namespace

StorageGrpcService::StorageGrpcService(StorageNode& node, OrphanSweeper& sweeper, Logger log,
                                       bool tls_enabled)
    : node_(node), sweeper_(sweeper), log_(std::move(log)), tls_enabled_(tls_enabled) {
  // The generated service registers PutShard as method number <index in the proto>
  // with a handler that parses every message into a PutShardRequest. Swap in the
  // same sync client-streaming handler over grpc::ByteBuffer. (MarkMethodStreamed is
  // the hook gRPC's generated code uses to replace a sync handler; it also marks the
  // method BIDI_STREAMING, which for a sync server only means "no payload read before
  // the handler", the same as CLIENT_STREAMING.)
  const google::protobuf::ServiceDescriptor* service =
      v1::PutShardRequest::descriptor()->file()->FindServiceByName("StorageNode");
  const int index = service->FindMethodByName("PutShard")->index();
  MarkMethodStreamed(
      index, new grpc::internal::ClientStreamingHandler<StorageGrpcService, grpc::ByteBuffer,
                                                        v1::PutShardResponse>(
                 [](StorageGrpcService* self, grpc::ServerContext* context,
                    grpc::ServerReader<grpc::ByteBuffer>* reader, v1::PutShardResponse* response) {
                   return self->PutShardRaw(context, reader, response);
                 },
                 this));
}

grpc::Status StorageGrpcService::PutShardRaw(grpc::ServerContext* context,
                                             grpc::ServerReader<grpc::ByteBuffer>* reader,
                                             v1::PutShardResponse* response) {
  grpc::ByteBuffer buffer;
  v1::PutShardRequest request;
  if (!reader->Read(&buffer)) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    return Fail(log_, "PutShard",
                absl::InvalidArgumentError("stream is empty; the first message must carry grant"));
  }
  uint64_t message_number = 1;
  {
    grpc::ProtoBufferReader stream(&buffer);
    if (!stream.status().ok() || !request.ParseFromZeroCopyStream(&stream)) {
      return Fail(log_, "PutShard",
                  absl::InvalidArgumentError(
                      "message 1 of the stream is not a PutShardRequest; it must carry grant"));
    }
  }
  if (request.part_case() != v1::PutShardRequest::kGrant) {
    return Fail(log_, "PutShard",
                absl::InvalidArgumentError("the first message must carry grant, not data"));
  }
  absl::StatusOr<std::unique_ptr<ShardUpload>> upload = node_.BeginPut(request.grant().token());
  if (!upload.ok()) return Fail(log_, "PutShard", upload.status());
  // Dropping `upload` on any early return removes the temporary file.
  ShardUpload& shard = **upload;
  // Ends the stream at the grant's expiry even if the client sends nothing more (a
  // second later, so a client still sending hears DEADLINE_EXCEEDED from Append).
  std::unique_ptr<ExpiryWatch::Handle> expiry = upload_expiry_.Watch(
      shard.expires_at() + kIdleUploadCancelDelay, [context] { context->TryCancel(); });
  auto append = [&shard](std::string_view piece) { return shard.Append(piece); };
  while (reader->Read(&buffer)) {
    ++message_number;
    absl::StatusOr<PutShardPart> part =
        ReadPutShardMessage(buffer, message_number, append, &request);
    if (!part.ok()) return Fail(log_, "PutShard", part.status());
    if (*part == PutShardPart::kData) continue;
    if (request.part_case() != v1::PutShardRequest::kData) {
      return Fail(log_, "PutShard",
                  absl::InvalidArgumentError("only the first message may carry grant; "
                                             "later messages must carry data"));
    }
    absl::Status appended = shard.Append(request.data());
    if (!appended.ok()) return Fail(log_, "PutShard", appended);
  }
  if (context->IsCancelled()) {
    if (absl::Status live = shard.Append(""); !live.ok()) return Fail(log_, "PutShard", live);
    return grpc::Status(grpc::StatusCode::CANCELLED,
                        "upload cancelled by the client; nothing stored");
  }
  absl::StatusOr<ShardUpload::Result> result = shard.Finish();
  if (!result.ok()) return Fail(log_, "PutShard", result.status());
  response->mutable_receipt()->set_token(result->receipt_token);
  response->set_already_present(result->already_present);
  return grpc::Status::OK;
}

grpc::Status StorageGrpcService::GetShard(grpc::ServerContext* context,
                                          const v1::GetShardRequest* request,
                                          grpc::ServerWriter<v1::GetShardResponse>* writer) {
  absl::StatusOr<std::unique_ptr<ShardDownload>> download =
      node_.BeginGet(request->grant().token(), request->offset(), request->length());
  if (!download.ok()) return Fail(log_, "GetShard", download.status());
  v1::GetShardResponse response;
  response.set_total_size((*download)->total_size());
  bool first = true;
  while (true) {
    absl::StatusOr<bool> more = (*download)->Next(response.mutable_data());
    if (!more.ok()) return Fail(log_, "GetShard", more.status());
    if (!*more && !first) break;
    if (!writer->Write(response)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
    if (!*more) break;  // an empty range: one message carrying total_size
    first = false;
    response.clear_total_size();
  }
  return grpc::Status::OK;
}

absl::Status StorageGrpcService::CheckCoordinator(const grpc::ServerContext& context) const {
  return AuthorizeCallerRole(context, tls_enabled_, {kRoleCoordinator});
}

grpc::Status StorageGrpcService::DeleteShard(grpc::ServerContext* context,
                                             const v1::DeleteShardRequest* request,
                                             v1::DeleteShardResponse* response) {
  if (absl::Status s = CheckCoordinator(*context); !s.ok()) return Fail(log_, "DeleteShard", s);
  absl::StatusOr<bool> existed = node_.Delete(request->grant().token());
  if (!existed.ok()) return Fail(log_, "DeleteShard", existed.status());
  response->set_existed(*existed);
  return grpc::Status::OK;
}

grpc::Status StorageGrpcService::AuditShard(grpc::ServerContext* context,
                                            const v1::AuditShardRequest* request,
                                            v1::AuditShardResponse* response) {
  if (absl::Status s = CheckCoordinator(*context); !s.ok()) return Fail(log_, "AuditShard", s);
  absl::StatusOr<AuditResult> audit =
      node_.Audit(request->grant().token(), request->challenge_key());
  if (!audit.ok()) return Fail(log_, "AuditShard", audit.status());
  response->set_keyed_hash(audit->keyed_hash);
  response->set_size_bytes(audit->size_bytes);
  return grpc::Status::OK;
}

grpc::Status StorageGrpcService::NodeStats(grpc::ServerContext* context,
                                           const v1::NodeStatsRequest* request,
                                           v1::NodeStatsResponse* response) {
  if (absl::Status s = CheckCoordinator(*context); !s.ok()) return Fail(log_, "NodeStats", s);
  const NodeStatus status = node_.Status();
  response->set_node_id(status.node_id);
  response->set_node_public_key(status.node_public_key);
  response->set_capacity_bytes(status.stats.capacity_bytes);
  response->set_used_bytes(status.stats.used_bytes);
  response->set_free_bytes(status.stats.free_bytes);
  response->set_shard_count(status.stats.shard_count);
  response->set_corrupt_shards(status.stats.corrupt_count);
  response->set_version(status.version);
  return grpc::Status::OK;
}

grpc::Status StorageGrpcService::ListShards(grpc::ServerContext* context,
                                            const v1::ListShardsRequest* request,
                                            v1::ListShardsResponse* response) {
  if (absl::Status s = CheckCoordinator(*context); !s.ok()) return Fail(log_, "ListShards", s);
  absl::StatusOr<ShardPage> page =
      node_.List(request->page().page_size(), request->page().page_token());
  if (!page.ok()) return Fail(log_, "ListShards", page.status());
  for (std::string& key : page->keys) response->add_keys(std::move(key));
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status StorageGrpcService::SweepOrphans(grpc::ServerContext* context,
                                              const v1::SweepOrphansRequest* request,
                                              v1::SweepOrphansResponse* response) {
  if (absl::Status s = CheckCoordinator(*context); !s.ok()) return Fail(log_, "SweepOrphans", s);
  OrphanSweepRequest sweep;
  sweep.node_id = request->node_id();
  sweep.filter_bits = request->filter().bits();
  sweep.filter_hash_count = request->filter().hash_count();
  sweep.filter_hash_key = request->filter().hash_key();
  sweep.range_start = request->range_start();
  sweep.range_end = request->range_end();
  absl::StatusOr<OrphanSweepResult> result = sweeper_.Sweep(sweep);
  if (!result.ok()) return Fail(log_, "SweepOrphans", result.status());
  response->set_examined(result->examined);
  response->set_deleted(result->deleted);
  response->set_deleted_bytes(result->deleted_bytes);
  response->set_kept_young(result->kept_young);
  return grpc::Status::OK;
}

}  // namespace freehold::storaged
