// ShardTransfer over gRPC: AuditShard, GetShard (whole shard, size and SHA-256 checked)
// and PutShard on the daemons, and ShardCopy.CopyShard (daemon to daemon), over the
// coordinator's cached channels.
#pragma once

#include "coordinator/core/shard_transfer.h"
#include "coordinator/grpc/remote_clients.h"

namespace freehold::coordinator {

class GrpcShardTransfer : public ShardTransfer {
 public:
  // `channels` must outlive this.
  explicit GrpcShardTransfer(GrpcStorageNodeClient& channels,
                             absl::Duration rpc_timeout = absl::Seconds(60))
      : channels_(channels), rpc_timeout_(rpc_timeout) {}
  absl::StatusOr<AuditAnswer> Audit(const std::string& address, const std::string& grant,
                                    const std::string& challenge_key) override;
  absl::StatusOr<std::string> Read(const std::string& address, const std::string& grant,
                                   uint64_t size_bytes, const std::string& sha256) override;
  absl::StatusOr<std::string> Write(const std::string& address, const std::string& grant,
                                    const std::string& bytes) override;
  absl::StatusOr<std::string> Copy(const std::string& target_address, const std::string& put_grant,
                                   const std::string& source_address,
                                   const std::string& get_grant) override;

 private:
  GrpcStorageNodeClient& channels_;
  const absl::Duration rpc_timeout_;
};

}  // namespace freehold::coordinator
