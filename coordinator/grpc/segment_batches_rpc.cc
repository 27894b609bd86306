// BeginSegments / CommitSegments of freehold.v1.Coordinator: the batched segment
// calls (core/object_writer.h), converted item by item as the single calls are.
#include "common/grpc_status.h"
#include "coordinator/grpc/coordinator_service.h"

namespace freehold::coordinator {

grpc::Status CoordinatorGrpcService::BeginSegments(grpc::ServerContext* ctx,
                                                   const v1::BeginSegmentsRequest* req,
                                                   v1::BeginSegmentsResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::vector<BeginSegmentInput> in;
  in.reserve(static_cast<size_t>(req->segments_size()));
  for (const v1::BeginSegmentRequest& item : req->segments()) {
    BeginSegmentInput& b = in.emplace_back();
    b.object_id = item.object_id();
    b.segment = item.segment();
    b.segment_size_bytes = item.segment_size_bytes();
    b.shard_size_bytes = item.shard_size_bytes();
    b.shard_sha256.assign(item.shard_sha256().begin(), item.shard_sha256().end());
  }
  absl::StatusOr<std::vector<SegmentTargets>> targets = p_.writer.BeginSegments(*caller, in);
  if (!targets.ok()) {
    // Admission delays carry when to try again (seconds rounded up, and ms).
    if (std::optional<absl::Duration> wait = RetryAfterOf(targets.status())) {
      const int64_t ms = absl::ToInt64Milliseconds(*wait);
      ctx->AddTrailingMetadata("retry-after", std::to_string((ms + 999) / 1000));
      ctx->AddTrailingMetadata("retry-after-ms", std::to_string(ms));
    }
    return ToGrpcStatus(targets.status());
  }
  for (const SegmentTargets& t : *targets) {
    v1::BeginSegmentResponse* out = resp->add_segments();
    for (const ShardTarget& s : t.shards) ToProto(s, out->add_shards());
    SetTime(t.grants_expire_at, out->mutable_grants_expire_at());
    out->set_min_shards_to_commit(static_cast<uint32_t>(t.min_shards_to_commit));
  }
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::CommitSegments(grpc::ServerContext* ctx,
                                                    const v1::CommitSegmentsRequest* req,
                                                    v1::CommitSegmentsResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::vector<CommitSegmentInput> in;
  in.reserve(static_cast<size_t>(req->segments_size()));
  for (const v1::CommitSegmentRequest& item : req->segments()) {
    CommitSegmentInput& c = in.emplace_back();
    c.object_id = item.object_id();
    c.segment = item.segment();
    for (const v1::ShardReceipt& r : item.receipts()) c.receipts.push_back(r.token());
  }
  std::vector<CommitObjectInput> objects;
  for (const v1::CommitObjectRequest& o : req->objects()) {
    objects.push_back(CommitObjectInput{o.object_id(), o.segment_count()});
  }
  absl::StatusOr<CommittedBatch> done = p_.writer.CommitSegments(*caller, in, objects);
  if (!done.ok()) return ToGrpcStatus(done.status());
  for (int m : done->missing_shards) {
    resp->add_segments()->set_missing_shards(static_cast<uint32_t>(m));
  }
  for (absl::Time at : done->committed_at) SetTime(at, resp->add_objects()->mutable_committed_at());
  return grpc::Status::OK;
}

}  // namespace freehold::coordinator
