#include "coordinator/core/repair_planner.h"

#include <algorithm>
#include <tuple>

namespace freehold::coordinator {

RepairPlan PlanRepairs(std::vector<SegmentHealth> unhealthy) {
  RepairPlan plan;
  for (SegmentHealth& s : unhealthy) {
    const int total = s.data_shards + s.parity_shards;
    if (s.healthy_shards >= total) continue;
    if (s.healthy_shards < s.data_shards) {
      (s.existing_shards >= s.data_shards ? plan.unavailable : plan.lost).push_back(std::move(s));
      continue;
    }
    RepairTask task;
    task.missing_shards = total - s.healthy_shards;
    task.margin = s.healthy_shards - s.data_shards;
    task.segment = std::move(s);
    plan.repairable.push_back(std::move(task));
  }
  std::sort(plan.repairable.begin(), plan.repairable.end(),
            [](const RepairTask& a, const RepairTask& b) {
              return std::tie(a.margin, b.missing_shards, a.segment.object_id, a.segment.segment) <
                     std::tie(b.margin, a.missing_shards, b.segment.object_id, b.segment.segment);
            });
  auto by_id = [](const SegmentHealth& a, const SegmentHealth& b) {
    return std::tie(a.object_id, a.segment) < std::tie(b.object_id, b.segment);
  };
  std::sort(plan.lost.begin(), plan.lost.end(), by_id);
  std::sort(plan.unavailable.begin(), plan.unavailable.end(), by_id);
  return plan;
}

}  // namespace freehold::coordinator
