// Repair planning (docs/ARCHITECTURE.md#10-keeping-data-alive): which committed segments have lost
// shards, most endangered first. A segment with fewer than k healthy shards cannot be rebuilt and
// is reported as lost, never silently dropped.
#pragma once

#include <vector>

#include "coordinator/core/model.h"

namespace freehold::coordinator {

struct RepairTask {
  SegmentHealth segment;
  int missing_shards = 0;  // k+m - healthy
  int margin = 0;          // healthy - k: shards that may still fail before loss
};

struct RepairPlan {
  std::vector<RepairTask> repairable;  // margin >= 0, smallest margin first
  // Fewer than k healthy shards on up/draining nodes but at least k counting nodes
  // that are down (not removed): cannot be rebuilt now, readable when they return.
  std::vector<SegmentHealth> unavailable;
  std::vector<SegmentHealth> lost;  // fewer than k healthy shards anywhere
};

// Pure. Ties are broken by object id and segment so plans are deterministic.
RepairPlan PlanRepairs(std::vector<SegmentHealth> unhealthy);

}  // namespace freehold::coordinator
