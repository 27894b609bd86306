#include "coordinator/core/rebalance_worker.h"

#include <algorithm>
#include <set>

#include "common/status.h"
#include "coordinator/core/manifest_rules.h"

namespace freehold::coordinator {

std::vector<NodeFill> OverfullNodes(const std::map<std::string, uint64_t>& stored,
                                    const std::map<std::string, double>& expected,
                                    double overfull_ratio) {
  double total = 0;
  for (const auto& [id, bytes] : stored) {
    if (expected.count(id)) total += static_cast<double>(bytes);
  }
  std::vector<NodeFill> out;
  if (total <= 0) return out;
  for (const auto& [id, share] : expected) {
    auto it = stored.find(id);
    if (it == stored.end() || share <= 0) continue;
    const double ratio = (static_cast<double>(it->second) / total) / share;
    if (ratio > overfull_ratio) out.push_back(NodeFill{id, ratio});
  }
  std::sort(out.begin(), out.end(), [](const NodeFill& a, const NodeFill& b) {
    return a.ratio != b.ratio ? a.ratio > b.ratio : a.node_id < b.node_id;
  });
  return out;
}

RebalanceWorker::RebalanceWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
                                 const CoordinatorConfig& config, PlacementSnapshots& placement,
                                 ShardMover& mover, Logger log)
    : store_(store),
      durability_(durability),
      clock_(clock),
      config_(config),
      placement_(placement),
      mover_(mover),
      log_(std::move(log)) {}

absl::StatusOr<RebalanceReport> RebalanceWorker::RunOnce() {
  RebalanceReport report;
  const int budget = config_.durability.rebalance_shards_per_tick;
  if (budget <= 0) return report;
  std::vector<Node> node_list;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(node_list, txn.nodes().List());
    return absl::OkStatus();
  }));
  const uint64_t min_free = config_.segment_size_bytes / config_.data_shards + kMaxShardPadding;
  FH_ASSIGN_OR_RETURN(std::shared_ptr<const placement::PlacementMap> map,
                      placement_.For(node_list, clock_.Now(), min_free));
  const std::vector<double> shares = map->ExpectedShardShares();
  std::map<std::string, double> expected;
  for (int i = 0; i < map->node_count(); ++i) {
    if (map->IsEligible(i)) expected[map->node(i).id] = shares[i];
  }
  FH_ASSIGN_OR_RETURN(auto stored, durability_.StoredBytesPerNode());
  const std::vector<NodeFill> overfull =
      OverfullNodes(stored, expected, config_.durability.rebalance_overfull_ratio);
  report.overfull_nodes = static_cast<int>(overfull.size());
  const int k_plus_m = config_.data_shards + config_.parity_shards;
  for (const NodeFill& fill : overfull) {
    if (report.moved_shards >= budget) break;
    // Walk at most a few pages of this node's shards per tick.
    for (int page = 0; page < 4 && report.moved_shards < budget; ++page) {
      FH_ASSIGN_OR_RETURN(std::vector<PlacedShard> shards,
                          durability_.ShardsOn(fill.node_id, cursor_[fill.node_id], 256));
      if (shards.empty()) {
        cursor_.erase(fill.node_id);  // wrap around next tick
        break;
      }
      cursor_[fill.node_id] = shards.back();
      for (const PlacedShard& shard : shards) {
        if (report.moved_shards >= budget) break;
        ++report.examined_shards;
        std::optional<SegmentRecord> segment;
        std::vector<std::string> left;  // nodes this shard was moved away from
        FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
          FH_ASSIGN_OR_RETURN(segment, txn.segments().Get(shard.object_id, shard.segment));
          FH_ASSIGN_OR_RETURN(left, txn.segments().PreviousNodes(shard.object_id, shard.segment,
                                                                 shard.index));
          return absl::OkStatus();
        }));
        if (!segment.has_value() || static_cast<int>(segment->shards.size()) != k_plus_m) {
          continue;
        }
        std::vector<std::string> previous;
        for (const ShardRecord& s : segment->shards) previous.push_back(s.node_id);
        absl::StatusOr<std::vector<std::string>> now =
            map->ReassignShards(SegmentKeyOf(shard.object_id, shard.segment), previous);
        if (!now.ok()) continue;  // too few domains now: leave it where it is
        const std::string& target = (*now)[shard.index];
        if (target.empty() || target == fill.node_id) continue;  // placement unchanged
        // Never back onto a node the shard left (repair or a drain took it away).
        if (std::find(left.begin(), left.end(), target) != left.end()) continue;
        // The target's failure domain must not hold another shard of the segment already.
        const std::optional<int> target_index = map->IndexOf(target);
        if (!target_index.has_value()) continue;
        bool conflict = false;
        for (const ShardRecord& s : segment->shards) {
          if (s.index == shard.index) continue;
          const std::optional<int> i = map->IndexOf(s.node_id);
          conflict |= i.has_value() && map->DomainName(*i) == map->DomainName(*target_index);
        }
        if (conflict) continue;
        absl::StatusOr<MoveResult> moved = mover_.Move(fill.node_id, shard, target, "rebalance");
        if (!moved.ok()) {
          ++report.failed_moves;
          log_.Warn("rebalance move failed", {{"node_id", fill.node_id},
                                              {"object_id", shard.object_id},
                                              {"segment", shard.segment},
                                              {"error", moved.status()}});
          continue;
        }
        if (moved->moved) ++report.moved_shards;
      }
    }
  }
  if (report.moved_shards > 0) {
    log_.Info("rebalanced", {{"moved_shards", report.moved_shards},
                             {"overfull_nodes", report.overfull_nodes}});
  }
  return report;
}

}  // namespace freehold::coordinator
