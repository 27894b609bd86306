#include "coordinator/grpc/orphan_sweep_client.h"

#include <grpcpp/client_context.h>

#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "freehold/v1/storage.grpc.pb.h"

namespace freehold::coordinator {

absl::StatusOr<OrphanSweepReply> GrpcOrphanSweepSender::Sweep(const std::string& address,
                                                              const OrphanSweepCall& call,
                                                              absl::Duration timeout) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_.ChannelFor(address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::SweepOrphansRequest request;
  request.set_node_id(call.node_id);
  request.mutable_filter()->set_bits(call.filter_bits);
  request.mutable_filter()->set_hash_count(call.filter_hash_count);
  request.mutable_filter()->set_hash_key(call.filter_hash_key);
  request.mutable_filter()->set_key_count(call.key_count);
  request.set_range_start(call.range_start);
  request.set_range_end(call.range_end);
  v1::SweepOrphansResponse response;
  grpc::Status s = stub.SweepOrphans(&ctx, request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  return OrphanSweepReply{response.examined(), response.deleted(), response.deleted_bytes(),
                          response.kept_young()};
}

}  // namespace freehold::coordinator
