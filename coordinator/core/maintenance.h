// Background work of the coordinator (docs/ARCHITECTURE.md#10-keeping-data-alive), one step per
// call so the loops (background.h) and tests drive them the same way:
//   GarbageCollector         abandoned uploads -> shard deletions; deletions
//                            sent to daemons with DELETE grants, retried
//   AccountDeletionConsumer  the accounts deletion outbox -> delete data
//   ClusterMonitor           cluster totals, segment health, repair plan, metrics
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/config.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/metrics.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/remote.h"
#include "coordinator/core/repair_planner.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

class GarbageCollector {
 public:
  GarbageCollector(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                   const GrantSigner& grants, StorageNodeClient& nodes, Logger log);

  // Removes uploads not committed before their expiry and queues their shards.
  // Returns how many uploads were collected.
  absl::StatusOr<int> CollectAbandonedUploads(int limit = 100);

  // Sends due deletions to daemons. Done (or absent) shards leave the queue;
  // failures are retried with exponential backoff up to max_delete_backoff;
  // deletions for unknown nodes, and for retired nodes that stopped heartbeating
  // (silent for node_down_after), are dropped; a retired node that still answers gets
  // them ("retired" means it holds nothing). Returns how many left the queue.
  // A task whose (node, key) the manifest names again (the shard was moved back onto
  // the node) is dropped without deleting.
  absl::StatusOr<int> RunDeletions(int limit = 200);

 private:
  // Whether the manifest places the task's shard key on the task's node now.
  absl::StatusOr<bool> PlacedThere(const DeletionTask& task);
  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  const GrantSigner& grants_;
  StorageNodeClient& nodes_;
  Logger log_;
};

class AccountDeletionConsumer {
 public:
  static constexpr const char* kConsumer = "accounts-deletions";
  AccountDeletionConsumer(MetadataStore& store, ObjectCatalog& catalog, DeletedAccountsFeed& feed,
                          Logger log);
  // Handles one batch: deletes each account's data, stores the cursor, acks.
  // Returns the number of accounts handled.
  absl::StatusOr<int> Poll(int limit = 100);

 private:
  MetadataStore& store_;
  ObjectCatalog& catalog_;
  DeletedAccountsFeed& feed_;
  Logger log_;
};

struct ClusterSnapshot {
  std::vector<Node> nodes;          // effective states
  uint64_t raw_capacity_bytes = 0;  // up + draining nodes
  uint64_t raw_used_bytes = 0;
  uint64_t raw_free_bytes = 0;  // up nodes
  StoredTotals totals;
  SegmentHealthCounts health;
  int data_shards = 0;
  int parity_shards = 0;
};

class ClusterMonitor {
 public:
  ClusterMonitor(MetadataStore& store, NodeRegistry& registry, const CoordinatorConfig& config,
                 CoordinatorMetrics* metrics);
  // Reads everything ClusterStatus shows.
  absl::StatusOr<ClusterSnapshot> Snapshot();
  // Snapshot + metrics update.
  absl::Status Refresh();
  // The current repair plan (at most `limit` unhealthy segments considered).
  absl::StatusOr<RepairPlan> Plan(int limit = 1000);

 private:
  MetadataStore& store_;
  NodeRegistry& registry_;
  const CoordinatorConfig& config_;
  CoordinatorMetrics* metrics_;
};

}  // namespace freehold::coordinator
