#include "coordinator/core/metrics.h"

namespace freehold::coordinator {

CoordinatorMetrics::CoordinatorMetrics(prometheus::Registry& registry, int data_shards,
                                       int parity_shards)
    : data_shards_(data_shards),
      parity_shards_(parity_shards),
      nodes_family_(prometheus::BuildGauge()
                        .Name("freehold_nodes")
                        .Help("Storage nodes by registry state")
                        .Register(registry)),
      capacity_family_(prometheus::BuildGauge()
                           .Name("freehold_capacity_bytes")
                           .Help("Cluster capacity: raw disk bytes and logical (after coding) "
                                 "bytes, total/used/free over up and draining nodes")
                           .Register(registry)),
      node_capacity_family_(prometheus::BuildGauge()
                                .Name("freehold_node_capacity_bytes")
                                .Help("Per-node capacity from the last heartbeat")
                                .Register(registry)),
      objects_(prometheus::BuildGauge()
                   .Name("freehold_objects")
                   .Help("Committed objects")
                   .Register(registry)
                   .Add({})),
      segments_(prometheus::BuildGauge()
                    .Name("freehold_segments")
                    .Help("Committed segments")
                    .Register(registry)
                    .Add({})),
      stored_family_(prometheus::BuildGauge()
                         .Name("freehold_stored_bytes")
                         .Help("Bytes of committed objects: logical payload and raw shards")
                         .Register(registry)),
      degraded_(prometheus::BuildGauge()
                    .Name("freehold_segments_degraded")
                    .Help("Committed segments with fewer than k+m healthy shards")
                    .Register(registry)
                    .Add({})),
      lost_(prometheus::BuildGauge()
                .Name("freehold_segments_lost")
                .Help("Committed segments with fewer than k healthy shards on any node not "
                      "removed (data gone)")
                .Register(registry)
                .Add({})),
      unavailable_(prometheus::BuildGauge()
                       .Name("freehold_segments_unavailable")
                       .Help("Committed segments unreadable now (fewer than k shards on up "
                             "nodes) but not lost (at least k counting nodes that are down)")
                       .Register(registry)
                       .Add({})),
      unrepairable_(prometheus::BuildGauge()
                        .Name("freehold_segments_unrepairable")
                        .Help("Degraded segments whose last repair attempt failed (logged once "
                              "per segment until it succeeds)")
                        .Register(registry)
                        .Add({})),
      placements_(prometheus::BuildCounter()
                      .Name("freehold_placements_total")
                      .Help("Segments placed by BeginSegment")
                      .Register(registry)
                      .Add({})),
      committed_degraded_(prometheus::BuildCounter()
                              .Name("freehold_segments_committed_degraded_total")
                              .Help("Segments committed with fewer than k+m stored shards "
                                    "(at least --commit-min-shards); the rest queued for repair")
                              .Register(registry)
                              .Add({})),
      grant_issue_(
          prometheus::BuildHistogram()
              .Name("freehold_grant_issue_seconds")
              .Help("Time to sign the grants of one request")
              .Register(registry)
              .Add({},
                   prometheus::Histogram::BucketBoundaries{0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                           0.0025, 0.005, 0.01, 0.025, 0.05, 0.1})),
      deletions_pending_(prometheus::BuildGauge()
                             .Name("freehold_shard_deletions_pending")
                             .Help("Shard deletions waiting to be done on daemons")
                             .Register(registry)
                             .Add({})),
      trash_objects_(prometheus::BuildGauge()
                         .Name("freehold_trash_objects")
                         .Help("Deleted objects waiting in their owners' trash (restorable)")
                         .Register(registry)
                         .Add({})),
      trash_bytes_(prometheus::BuildGauge()
                       .Name("freehold_trash_bytes")
                       .Help("Payload bytes of the objects in the trash (counted as used)")
                       .Register(registry)
                       .Add({})),
      trash_purged_(prometheus::BuildCounter()
                        .Name("freehold_trash_purged_total")
                        .Help("Objects purged from the trash (window ended or emptied); their "
                              "shards are queued for deletion")
                        .Register(registry)
                        .Add({})) {
  for (const char* state : {"up", "down", "draining", "retired"}) {
    nodes_family_.Add({{"state", state}}).Set(0);
  }
  for (const char* kind : {"raw", "logical"}) {
    for (const char* state : {"total", "used", "free"}) {
      capacity_family_.Add({{"kind", kind}, {"state", state}}).Set(0);
    }
    stored_family_.Add({{"kind", kind}}).Set(0);
  }
}

void CoordinatorMetrics::SetNodes(const std::vector<Node>& nodes) {
  std::map<NodeState, int> counts;
  uint64_t total = 0, used = 0, free = 0;
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::vector<prometheus::Gauge*>> seen;
  for (const Node& node : nodes) {
    counts[node.state]++;
    if (node.state == NodeState::kUp || node.state == NodeState::kDraining) {
      total += node.capacity_bytes;
      used += node.used_bytes;
      if (node.state == NodeState::kUp) free += node.free_bytes;
    }
    std::vector<prometheus::Gauge*> gauges;
    auto it = node_gauges_.find(node.node_id);
    if (it != node_gauges_.end()) {
      gauges = it->second;
      node_gauges_.erase(it);
    } else {
      for (const char* state : {"total", "used", "free"}) {
        gauges.push_back(&node_capacity_family_.Add({{"node", node.node_id}, {"state", state}}));
      }
    }
    gauges[0]->Set(static_cast<double>(node.capacity_bytes));
    gauges[1]->Set(static_cast<double>(node.used_bytes));
    gauges[2]->Set(static_cast<double>(node.free_bytes));
    seen[node.node_id] = std::move(gauges);
  }
  for (auto& [id, gauges] : node_gauges_) {
    for (prometheus::Gauge* g : gauges) node_capacity_family_.Remove(g);
  }
  node_gauges_ = std::move(seen);
  for (NodeState s :
       {NodeState::kUp, NodeState::kDown, NodeState::kDraining, NodeState::kRetired}) {
    nodes_family_.Add({{"state", NodeStateName(s)}}).Set(counts[s]);
  }
  capacity_family_.Add({{"kind", "raw"}, {"state", "total"}}).Set(static_cast<double>(total));
  capacity_family_.Add({{"kind", "raw"}, {"state", "used"}}).Set(static_cast<double>(used));
  capacity_family_.Add({{"kind", "raw"}, {"state", "free"}}).Set(static_cast<double>(free));
  raw_total_ = total;
  raw_free_ = free;
  UpdateLogicalCapacity();
}

void CoordinatorMetrics::UpdateLogicalCapacity() {
  const double ratio =
      static_cast<double>(data_shards_) / static_cast<double>(data_shards_ + parity_shards_);
  capacity_family_.Add({{"kind", "logical"}, {"state", "total"}})
      .Set(static_cast<double>(raw_total_) * ratio);
  capacity_family_.Add({{"kind", "logical"}, {"state", "used"}})
      .Set(static_cast<double>(logical_used_));
  capacity_family_.Add({{"kind", "logical"}, {"state", "free"}})
      .Set(static_cast<double>(raw_free_) * ratio);
}

void CoordinatorMetrics::SetTotals(const StoredTotals& totals) {
  objects_.Set(static_cast<double>(totals.objects));
  segments_.Set(static_cast<double>(totals.segments));
  stored_family_.Add({{"kind", "raw"}}).Set(static_cast<double>(totals.raw_bytes));
  stored_family_.Add({{"kind", "logical"}}).Set(static_cast<double>(totals.logical_bytes));
  trash_objects_.Set(static_cast<double>(totals.trash_objects));
  trash_bytes_.Set(static_cast<double>(totals.trash_bytes));
  absl::MutexLock lock(&mu_);
  logical_used_ = totals.logical_bytes;
  UpdateLogicalCapacity();
}

void CoordinatorMetrics::SetSegmentHealth(const SegmentHealthCounts& health) {
  degraded_.Set(static_cast<double>(health.degraded));
  unavailable_.Set(static_cast<double>(health.unavailable));
  lost_.Set(static_cast<double>(health.lost));
}

void CoordinatorMetrics::SetPendingDeletions(int64_t pending) {
  deletions_pending_.Set(static_cast<double>(pending));
}

}  // namespace freehold::coordinator
