// Re-spreading (issue 23; docs/ARCHITECTURE.md#8-placement, "Degraded placement"): a
// committed segment with two shards in one failure domain (placed, replaced or repaired
// degraded while no unused domain was eligible) gets one of them moved to an unused
// eligible domain once one exists (a node joins or comes back). Every tick the leader
// scans the next `scan` committed segments (a cursor that wraps, so the whole manifest
// is visited in rounds of bounded work) and moves at most
// --respread-shards-per-tick shards with ShardMover: copy first, then point the manifest
// at the copy in one transaction, then delete the old copy, so a segment never has
// fewer shards while moving. The moved shard leaves the most crowded domain (a second
// shard on one node first); its target is the best-ranked node of a domain the segment
// does not use (PlacementMap::ReplacementFor without share_domains), never a shared
// one. Segments with a shard that is not HEALTHY are left to repair.
#pragma once

#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/config.h"
#include "coordinator/core/durability_store.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/core/shard_mover.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct RespreadReport {
  int examined_segments = 0;
  int shared_domain_segments = 0;  // with two shards in one domain
  int moved_shards = 0;
  int failed_moves = 0;
};

// The shard of `node_ids` (by index) to move off a shared failure domain, given each
// node's domain (`domain_of`, "" = unknown node: never chosen, never counted), or -1
// when every domain holds one shard. Chooses the highest index among shards whose node
// holds another shard of the segment; else among shards in the most crowded domain.
// Pure.
int ShardToRespread(const std::vector<std::string>& node_ids,
                    const std::vector<std::string>& domain_of);

class RespreadWorker {
 public:
  // Dependencies must outlive the worker. Leader-only; not thread-safe (one loop).
  RespreadWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
                 const CoordinatorConfig& config, PlacementSnapshots& placement,
                 ShardMover& mover, Logger log);

  // One tick: scans up to `scan` segments after the cursor, moves at most
  // config.durability.respread_shards_per_tick shards.
  absl::StatusOr<RespreadReport> RunOnce(int scan = 1000);

 private:
  MetadataStore& store_;
  DurabilityStore& durability_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  PlacementSnapshots& placement_;
  ShardMover& mover_;
  Logger log_;
  std::string cursor_object_;  // last segment examined; empty = start
  int cursor_segment_ = 0;
  std::set<std::pair<std::string, int>> failing_;  // segments whose move failed (logged once)
};

}  // namespace freehold::coordinator
