// gRPC binding of the ShardCopy service (shard_copy.proto): the coordinator asks this
// daemon to pull a shard straight from another daemon (drains and rebalancing), so the
// bytes do not pass through the coordinator. Coordinator only (AuthorizeCallerRole, as
// StorageGrpcService's coordinator calls). The PUT grant is checked and the bytes are
// stored exactly as by PutShard (StorageNode::BeginPut, size and SHA-256 verified on
// Finish, fsynced); the GET grant is the source's business. The source call ends at the
// earlier of the caller's deadline and the PUT grant's expiry. A failure of the source
// is FAILED_PRECONDITION (DEADLINE_EXCEEDED for a deadline) naming it; nothing is stored.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "freehold/v1/shard_copy.grpc.pb.h"
#include "services/storaged/core/storage_node.h"

namespace freehold::storaged {

class ShardCopyGrpcService final : public v1::ShardCopy::Service {
 public:
  // `node` must outlive the service. `source_tls`: this daemon's client side of TLS
  // (GetShard needs no certificate, but the source's server must be trusted).
  ShardCopyGrpcService(StorageNode& node, ClientTlsOptions source_tls, Logger log,
                       bool tls_enabled);

  grpc::Status CopyShard(grpc::ServerContext* context, const v1::CopyShardRequest* request,
                         v1::PutShardResponse* response) override;

 private:
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFor(const std::string& address);

  StorageNode& node_;
  const ClientTlsOptions source_tls_;
  Logger log_;
  const bool tls_enabled_;
  absl::Mutex mu_;
  // One cached channel per source address (bounded: cleared past kMaxChannels).
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::storaged
