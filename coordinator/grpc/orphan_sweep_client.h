// StorageNode.SweepOrphans over the coordinator's channels to daemons (the daemon
// admits the call from the coordinator role only: its client certificate with TLS).
#pragma once

#include "coordinator/core/orphan_sweep.h"
#include "coordinator/grpc/remote_clients.h"

namespace freehold::coordinator {

// Thread-safe; `channels` must outlive it.
class GrpcOrphanSweepSender : public OrphanSweepSender {
 public:
  explicit GrpcOrphanSweepSender(GrpcStorageNodeClient& channels) : channels_(channels) {}
  absl::StatusOr<OrphanSweepReply> Sweep(const std::string& address, const OrphanSweepCall& call,
                                         absl::Duration timeout) override;

 private:
  GrpcStorageNodeClient& channels_;
};

}  // namespace freehold::coordinator
