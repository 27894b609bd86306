#include "coordinator/core/respread_worker.h"

#include <map>

#include "common/status.h"
#include "coordinator/core/manifest_rules.h"

namespace freehold::coordinator {

int ShardToRespread(const std::vector<std::string>& node_ids,
                    const std::vector<std::string>& domain_of) {
  std::map<std::string, int> per_node, per_domain;
  for (size_t i = 0; i < node_ids.size(); ++i) {
    if (domain_of[i].empty()) continue;
    ++per_node[node_ids[i]];
    ++per_domain[domain_of[i]];
  }
  int best = -1, best_rank = 0;
  for (size_t i = 0; i < node_ids.size(); ++i) {
    if (domain_of[i].empty()) continue;
    const int crowd = per_domain[domain_of[i]];
    if (crowd < 2) continue;
    // A second shard on one node ranks above any domain count (at most 64 shards).
    const int rank = (per_node[node_ids[i]] > 1 ? 1000 : 0) + crowd;
    if (rank >= best_rank) {
      best_rank = rank;
      best = static_cast<int>(i);
    }
  }
  return best;
}

RespreadWorker::RespreadWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
                               const CoordinatorConfig& config, PlacementSnapshots& placement,
                               ShardMover& mover, Logger log)
    : store_(store),
      durability_(durability),
      clock_(clock),
      config_(config),
      placement_(placement),
      mover_(mover),
      log_(std::move(log)) {}

absl::StatusOr<RespreadReport> RespreadWorker::RunOnce(int scan) {
  RespreadReport report;
  const int budget = config_.durability.respread_shards_per_tick;
  if (budget <= 0 || scan <= 0) return report;
  std::vector<Node> node_list;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(node_list, txn.nodes().List());
    return absl::OkStatus();
  }));
  const uint64_t min_free = config_.segment_size_bytes / config_.data_shards + kMaxShardPadding;
  FH_ASSIGN_OR_RETURN(std::shared_ptr<const placement::PlacementMap> map,
                      placement_.For(node_list, clock_.Now(), min_free));
  FH_ASSIGN_OR_RETURN(std::vector<SegmentSpread> segments,
                      durability_.SegmentsAfter(cursor_object_, cursor_segment_, scan));
  size_t done = 0;
  for (const SegmentSpread& seg : segments) {
    // Failed attempts count too: a target that is dead but not yet marked down must not
    // cost a copy per shared segment per tick.
    if (report.moved_shards + report.failed_moves >= budget) break;
    ++done;
    cursor_object_ = seg.object_id;
    cursor_segment_ = seg.segment;
    ++report.examined_segments;
    if (!seg.all_healthy) continue;  // repair's turn first
    std::vector<std::string> domains(seg.node_ids.size());
    for (size_t i = 0; i < seg.node_ids.size(); ++i) {
      const std::optional<int> at = map->IndexOf(seg.node_ids[i]);
      if (at.has_value()) domains[i] = map->DomainName(*at);
    }
    const int index = ShardToRespread(seg.node_ids, domains);
    if (index < 0) continue;
    ++report.shared_domain_segments;
    // Only when a domain the segment does not use is eligible now; otherwise the shard
    // stays shared (better than missing) until one is.
    std::vector<std::string> current;
    for (size_t i = 0; i < seg.node_ids.size(); ++i) {
      if (static_cast<int>(i) != index) current.push_back(seg.node_ids[i]);
    }
    const std::vector<std::string> from = {seg.node_ids[index]};
    const placement::SegmentKey key = SegmentKeyOf(seg.object_id, seg.segment);
    if (!map->ReplacementFor(key, current, from).ok()) continue;
    absl::StatusOr<MoveResult> moved =
        mover_.Move(seg.node_ids[index], PlacedShard{seg.object_id, seg.segment, index,
                                                     seg.shard_size_bytes},
                    "", "respread");
    const std::pair<std::string, int> id(seg.object_id, seg.segment);
    if (!moved.ok()) {
      ++report.failed_moves;
      if (failing_.size() > 100000) failing_.clear();  // bounded (deleted segments)
      if (failing_.insert(id).second) {
        log_.Warn("respread move failed (logged once until it succeeds)",
                  {{"object_id", seg.object_id},
                   {"segment", seg.segment},
                   {"index", index},
                   {"node_id", seg.node_ids[index]},
                   {"error", moved.status()}});
      }
      continue;
    }
    failing_.erase(id);
    if (moved->moved) {
      ++report.moved_shards;
      log_.Info("shard re-spread to an unused failure domain",
                {{"object_id", seg.object_id},
                 {"segment", seg.segment},
                 {"index", index},
                 {"from", seg.node_ids[index]},
                 {"to", moved->to_node_id}});
    }
  }
  if (done == segments.size() && static_cast<int>(segments.size()) < scan) {
    cursor_object_.clear();  // reached the end: start again next tick
    cursor_segment_ = 0;
  }
  return report;
}

}  // namespace freehold::coordinator
