// Prometheus metrics of the coordinator (names are a contract with
// monitoring/ dashboards and alerts):
//   freehold_nodes{state}                               gauge
//   freehold_capacity_bytes{kind="raw|logical",state="total|used|free"}
//   freehold_node_capacity_bytes{node,state="total|used|free"}
//   freehold_objects, freehold_segments                 gauges (committed)
//   freehold_stored_bytes{kind="raw|logical"}           gauge
//   freehold_segments_degraded, freehold_segments_lost  gauges
//   freehold_segments_unavailable                       gauge (down, not lost)
//   freehold_placements_total                           counter (segments placed)
//   freehold_segments_committed_degraded_total          counter (committed with fewer than
//                                                       k+m shards; the rest repaired)
//   freehold_grant_issue_seconds                        histogram (one request's grants)
//   freehold_shard_deletions_pending                    gauge
//   freehold_trash_objects, freehold_trash_bytes        gauges (objects in the trash,
//                                                       their payload bytes; part of the above)
//   freehold_trash_purged_total                         counter (objects purged from the trash:
//                                                       window ended or emptied)
// Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coordinator/core/model.h"

namespace freehold::coordinator {

class CoordinatorMetrics {
 public:
  // Registers the families in `registry` (which must outlive this object).
  CoordinatorMetrics(prometheus::Registry& registry, int data_shards, int parity_shards);

  void CountPlacement() { placements_.Increment(); }
  void CountDegradedCommit() { committed_degraded_.Increment(); }
  void ObserveGrantIssue(absl::Duration d) { grant_issue_.Observe(absl::ToDoubleSeconds(d)); }

  // Node gauges from the registry (states already effective).
  void SetNodes(const std::vector<Node>& nodes);
  void SetTotals(const StoredTotals& totals);
  void SetSegmentHealth(const SegmentHealthCounts& health);
  void SetPendingDeletions(int64_t pending);
  void CountTrashPurged(int objects) { trash_purged_.Increment(objects); }
  // Segments whose last repair attempt failed (RepairWorker; alert
  // FreeholdSegmentsUnrepairable).
  void SetUnrepairableSegments(int count) { unrepairable_.Set(count); }

 private:
  const int data_shards_;
  const int parity_shards_;
  prometheus::Family<prometheus::Gauge>& nodes_family_;
  prometheus::Family<prometheus::Gauge>& capacity_family_;
  prometheus::Family<prometheus::Gauge>& node_capacity_family_;
  prometheus::Gauge& objects_;
  prometheus::Gauge& segments_;
  prometheus::Family<prometheus::Gauge>& stored_family_;
  prometheus::Gauge& degraded_;
  prometheus::Gauge& lost_;
  prometheus::Gauge& unavailable_;
  prometheus::Gauge& unrepairable_;
  prometheus::Counter& placements_;
  prometheus::Counter& committed_degraded_;
  prometheus::Histogram& grant_issue_;
  prometheus::Gauge& deletions_pending_;
  prometheus::Gauge& trash_objects_;
  prometheus::Gauge& trash_bytes_;
  prometheus::Counter& trash_purged_;
  absl::Mutex mu_;
  // Node ids with per-node gauges, so removed nodes' series are dropped.
  std::map<std::string, std::vector<prometheus::Gauge*>> node_gauges_ ABSL_GUARDED_BY(mu_);
  uint64_t logical_used_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t raw_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t raw_free_ ABSL_GUARDED_BY(mu_) = 0;
  void UpdateLogicalCapacity() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace freehold::coordinator
