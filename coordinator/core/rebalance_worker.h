// Rebalancing (docs/ARCHITECTURE.md#10-keeping-data-alive): when nodes join or weights change,
// placement of existing segments changes for some shards. Every tick the leader takes the
// overfull nodes (holding more than --rebalance-overfull-ratio times the share placement
// expects of them), most overfull first, and walks their shards; a shard whose segment's
// placement now (PlacementMap::ReassignShards, which keeps every node still placed at its
// index) names another node, not one the shard left before, is moved there with ShardMover (copy, commit the manifest,
// then delete the old copy, so a segment never has fewer shards while moving), at most
// --rebalance-shards-per-tick moves per tick within --move-bytes-per-second. Shards whose
// placement did not change never move.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/config.h"
#include "coordinator/core/durability_store.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/core/shard_mover.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct RebalanceReport {
  int overfull_nodes = 0;
  int examined_shards = 0;
  int moved_shards = 0;
  int failed_moves = 0;
};

// One node's fill relative to what placement expects of it.
struct NodeFill {
  std::string node_id;
  double ratio = 0;  // (stored bytes / all stored bytes) / expected shard share
};

// Nodes with ratio > overfull_ratio, most overfull first (ties by id). `stored` holds
// bytes per node id, `expected` the expected share per node id (members only). Pure.
std::vector<NodeFill> OverfullNodes(const std::map<std::string, uint64_t>& stored,
                                    const std::map<std::string, double>& expected,
                                    double overfull_ratio);

class RebalanceWorker {
 public:
  RebalanceWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
                  const CoordinatorConfig& config, PlacementSnapshots& placement,
                  ShardMover& mover, Logger log);

  absl::StatusOr<RebalanceReport> RunOnce();

 private:
  MetadataStore& store_;
  DurabilityStore& durability_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  PlacementSnapshots& placement_;
  ShardMover& mover_;
  Logger log_;
  // Per node, the last shard examined (the walk resumes after it; wraps at the end).
  std::map<std::string, PlacedShard> cursor_;
};

}  // namespace freehold::coordinator
