// ShardRebuilder over gRPC: GetShard from healthy daemons, Reed-Solomon
// reconstruction with the codec clients use (common/erasure ReedSolomon, so parity
// is byte-identical to what clients write), PutShard to the new targets.
#pragma once

#include "coordinator/core/repair_worker.h"
#include "coordinator/grpc/remote_clients.h"

namespace freehold::coordinator {

class GrpcShardRebuilder : public ShardRebuilder {
 public:
  // `channels` provides (cached) channels to daemons; must outlive this.
  explicit GrpcShardRebuilder(GrpcStorageNodeClient& channels,
                              absl::Duration rpc_timeout = absl::Seconds(60))
      : channels_(channels), rpc_timeout_(rpc_timeout) {}
  absl::StatusOr<std::vector<std::string>> Rebuild(const RebuildRequest& request) override;

 private:
  absl::StatusOr<std::string> Fetch(const RebuildSource& source, uint64_t size);
  absl::StatusOr<std::string> Store(const RebuildTarget& target, const std::string& bytes);

  GrpcStorageNodeClient& channels_;
  const absl::Duration rpc_timeout_;
};

}  // namespace freehold::coordinator
