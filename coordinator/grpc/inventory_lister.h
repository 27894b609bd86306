// InventoryLister over gRPC: StorageNode.ListShards, every page (the daemon admits the
// call from the coordinator's certificate only).
#pragma once

#include "coordinator/core/inventory.h"
#include "coordinator/grpc/remote_clients.h"

namespace freehold::coordinator {

// Thread-safe. Pages of 10000 keys, 30 s per page; at most 10 million keys.
class GrpcInventoryLister : public InventoryLister {
 public:
  explicit GrpcInventoryLister(GrpcStorageNodeClient& nodes) : nodes_(nodes) {}
  absl::StatusOr<std::vector<std::string>> ListShards(const std::string& address) override;

 private:
  GrpcStorageNodeClient& nodes_;
};

}  // namespace freehold::coordinator
