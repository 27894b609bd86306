// Drains (docs/ARCHITECTURE.md#10-keeping-data-alive): every tick the leader moves the
// shards of DRAINING nodes to the nodes placement now chooses (ShardMover: copy from the
// node itself while it answers, rebuild from k others when it does not), at most
// --drain-parallelism at once within --move-bytes-per-second, and records progress
// (node_drains). Pending shards of uploads whose PUT grants have all expired (a put that
// failed) are re-targeted (ShardMover::RetargetPending), so a drain waits at most
// --grant-ttl for them, not --upload-ttl. A draining node becomes RETIRED when no
// manifest entry names it and its queued deletions are done (or it stopped answering),
// decided on its row as stored at that moment (DurabilityStore::RetireIfDrained).
#pragma once

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/config.h"
#include "coordinator/core/durability_metrics.h"
#include "coordinator/core/durability_store.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/shard_mover.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct DrainReport {
  int draining_nodes = 0;
  int moved_shards = 0;
  uint64_t moved_bytes = 0;
  int failed_moves = 0;
  int retargeted_pending = 0;  // pending shards of stopped uploads given another node
  int retired_nodes = 0;
};

class DrainWorker {
 public:
  // `metrics` may be null.
  DrainWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
              const CoordinatorConfig& config, ShardMover& mover, NodeRegistry& registry,
              DurabilityMetrics* metrics, Logger log);

  // One pass: at most `batch` shards per draining node.
  absl::StatusOr<DrainReport> RunOnce(int batch = 64);

 private:
  MetadataStore& store_;
  DurabilityStore& durability_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  ShardMover& mover_;
  NodeRegistry& registry_;
  DurabilityMetrics* const metrics_;
  Logger log_;
};

}  // namespace freehold::coordinator
