// gRPC binding of the StorageNode service (storage.proto): converts messages to
// the core's types, calls StorageNode, maps absl::Status to grpc::Status. No logic.
//
// Who may call: PutShard and GetShard carry a grant from the coordinator and are
// open to any caller (the CLI has no certificate). DeleteShard, AuditShard,
// ListShards, NodeStats and SweepOrphans are the coordinator's: they accept only the coordinator
// role (AuthorizeCallerRole, common/peer_identity.h: its client certificate with
// TLS, loopback peers without TLS), and DeleteShard/AuditShard still need a grant.
//
// A PutShard stream lives no longer than its grant: data arriving after the expiry is
// answered DEADLINE_EXCEEDED naming it (ShardUpload), and a stream idle at the expiry
// is cancelled by the server a second later (ExpiryWatch; the client sees CANCELLED). Either way the
// partial file is removed.
//
// PutShard is served with its request messages as raw grpc::ByteBuffer (still the
// sync API, one thread per stream): data messages go from gRPC's receive slices
// straight into the upload (put_shard_messages.h) instead of being copied into a
// PutShardRequest first. The wire format is storage.proto's, unchanged.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include "common/logging.h"
#include "freehold/v1/storage.grpc.pb.h"
#include "common/clock.h"
#include "services/storaged/core/expiry_watch.h"
#include "services/storaged/core/orphan_sweep.h"
#include "services/storaged/core/storage_node.h"

namespace freehold::storaged {

class StorageGrpcService final : public v1::StorageNode::Service {
 public:
  // `node` and `sweeper` must outlive the service.
  // `tls_enabled`: whether the server speaks TLS (role checks use client
  // certificates) or not (development mode: coordinator calls from loopback only).
  StorageGrpcService(StorageNode& node, OrphanSweeper& sweeper, Logger log, bool tls_enabled);

  // Served instead of the generated PutShard (see the file comment).
  grpc::Status PutShardRaw(grpc::ServerContext* context,
                           grpc::ServerReader<grpc::ByteBuffer>* reader,
                           v1::PutShardResponse* response);
  grpc::Status GetShard(grpc::ServerContext* context, const v1::GetShardRequest* request,
                        grpc::ServerWriter<v1::GetShardResponse>* writer) override;
  grpc::Status DeleteShard(grpc::ServerContext* context, const v1::DeleteShardRequest* request,
                           v1::DeleteShardResponse* response) override;
  grpc::Status AuditShard(grpc::ServerContext* context, const v1::AuditShardRequest* request,
                          v1::AuditShardResponse* response) override;
  grpc::Status NodeStats(grpc::ServerContext* context, const v1::NodeStatsRequest* request,
                         v1::NodeStatsResponse* response) override;
  grpc::Status ListShards(grpc::ServerContext* context, const v1::ListShardsRequest* request,
                          v1::ListShardsResponse* response) override;
  grpc::Status SweepOrphans(grpc::ServerContext* context, const v1::SweepOrphansRequest* request,
                            v1::SweepOrphansResponse* response) override;

 private:
  // OK if the caller may make a coordinator-only call.
  absl::Status CheckCoordinator(const grpc::ServerContext& context) const;

  StorageNode& node_;
  OrphanSweeper& sweeper_;
  Logger log_;
  const bool tls_enabled_;
  RealClock watch_clock_;
  ExpiryWatch upload_expiry_{watch_clock_};
};

}  // namespace freehold::storaged
