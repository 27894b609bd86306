// Moves one committed shard from a node to another without ever lowering the segment's
// redundancy (docs/ARCHITECTURE.md#10-keeping-data-alive): copy first (the target pulls
// it from the node itself with ShardCopy.CopyShard, --direct-copy; else GetShard from the
// node and PutShard to the target through the coordinator; a rebuild from k other shards
// when the node does not answer), verify the target's receipt, then in one transaction point the manifest
// at the target, record the move and queue the deletion on the old node. Used by drains
// and rebalancing. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/byte_rate_limiter.h"
#include "coordinator/core/config.h"
#include "coordinator/core/durability_metrics.h"
#include "coordinator/core/durability_store.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/core/repair_worker.h"
#include "coordinator/core/shard_transfer.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct MoveResult {
  bool moved = false;      // false: nothing to do (shard gone, moved or not healthy)
  bool copied = false;     // from the node itself; false = rebuilt from k others
  bool direct = false;     // copied daemon to daemon (ShardTransfer::Copy)
  std::string to_node_id;
  uint64_t bytes = 0;      // bytes written to the target
};

class ShardMover {
 public:
  // `metrics` may be null.
  ShardMover(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
             PlacementSnapshots& placement, const GrantSigner& grants, ShardTransfer& transfer,
             ShardRebuilder& rebuilder, ByteRateLimiter& limiter, DurabilityMetrics* metrics);

  // Moves shard `index` of the segment away from `from_node_id` to `to_node_id`, or (empty)
  // to the node placement now chooses outside the segment's other failure domains and,
  // where one is eligible, outside the nodes the shard left before.
  // `reason` is recorded in shard_moves ("drain", "rebalance"). FAILED_PRECONDITION when
  // no target is eligible; ABORTED when the shard moved meanwhile.
  absl::StatusOr<MoveResult> Move(const std::string& from_node_id, const PlacedShard& shard,
                                  const std::string& to_node_id, const char* reason);

  // A PENDING shard on `from_node_id` of an upload whose PUT grants have all expired
  // (DurabilityStore::ExpiredPendingOn): in one transaction under the object's row lock,
  // re-checked, the manifest names the node placement now chooses (as Move chooses it),
  // the move is recorded with `reason` and whatever the old node stored is queued for
  // deletion (no grant lets anything more arrive there). Nothing is copied: the upload
  // never committed the shard; if it comes back, BeginSegment hands it the new target
  // with a fresh grant. Returns the new node id, or "" when there is nothing to do
  // (committed, collected or granted again meanwhile, or the shard moved).
  // FAILED_PRECONDITION when no node is eligible.
  absl::StatusOr<std::string> RetargetPending(const std::string& from_node_id,
                                              const PlacedShard& shard, const char* reason);

 private:
  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  PlacementSnapshots& placement_;
  const GrantSigner& grants_;
  ShardTransfer& transfer_;
  ShardRebuilder& rebuilder_;
  ByteRateLimiter& limiter_;
  // The node placement now chooses for shard `index` of the segment leaving
  // `from_node_id`, `others` being the nodes of the segment's other shards:
  // outside their failure domains and, where one is eligible, outside `excluded` (nodes
  // the shard left before). FAILED_PRECONDITION when none is eligible.
  absl::StatusOr<std::string> ChooseTarget(const std::vector<Node>& node_list, absl::Time now,
                                           const std::string& object_id, int segment,
                                           const std::vector<std::string>& others,
                                           std::vector<std::string> excluded,
                                           const std::string& from_node_id);

  DurabilityMetrics* const metrics_;
};

}  // namespace freehold::coordinator
