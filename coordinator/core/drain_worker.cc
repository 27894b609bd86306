#include "coordinator/core/drain_worker.h"

#include <atomic>
#include <thread>

#include "common/status.h"

namespace freehold::coordinator {

DrainWorker::DrainWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
                         const CoordinatorConfig& config, ShardMover& mover,
                         NodeRegistry& registry, DurabilityMetrics* metrics, Logger log)
    : store_(store),
      durability_(durability),
      clock_(clock),
      config_(config),
      mover_(mover),
      registry_(registry),
      metrics_(metrics),
      log_(std::move(log)) {}

absl::StatusOr<DrainReport> DrainWorker::RunOnce(int batch) {
  std::vector<Node> nodes;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(nodes, txn.nodes().List());
    return absl::OkStatus();
  }));
  DrainReport report;
  for (const Node& node : nodes) {
    if (node.state != NodeState::kDraining) continue;  // stored state
    ++report.draining_nodes;
    const absl::Time now = clock_.Now();
    FH_ASSIGN_OR_RETURN(NodeLoad load, durability_.LoadOf(node.node_id));
    // Starts the record of an operator's drain (a reputation drain recorded it already).
    FH_RETURN_IF_ERROR(
        durability_.StartDrain(node.node_id, now, load, "operator", node.state_changed_at));
    FH_ASSIGN_OR_RETURN(std::vector<PlacedShard> shards,
                        durability_.ShardsOn(node.node_id, PlacedShard{}, batch));
    std::atomic<size_t> next{0};
    std::atomic<int> moved{0}, failed{0};
    std::atomic<uint64_t> bytes{0};
    auto work = [&] {
      for (size_t i = next++; i < shards.size(); i = next++) {
        absl::StatusOr<MoveResult> r = mover_.Move(node.node_id, shards[i], "", "drain");
        if (!r.ok()) {
          ++failed;
          log_.Warn("drain move failed", {{"node_id", node.node_id},
                                          {"object_id", shards[i].object_id},
                                          {"segment", shards[i].segment},
                                          {"index", shards[i].index},
                                          {"error", r.status()}});
          continue;
        }
        if (!r->moved) continue;
        ++moved;
        bytes += r->bytes;
        (void)durability_.AddDrainProgress(node.node_id, 1, r->bytes);
      }
    };
    const int threads =
        std::min<int>(config_.durability.drain_parallelism, static_cast<int>(shards.size()));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    report.moved_shards += moved;
    report.moved_bytes += bytes;
    report.failed_moves += failed;

    FH_ASSIGN_OR_RETURN(NodeLoad after, durability_.LoadOf(node.node_id));
    if (metrics_ != nullptr) metrics_->DrainRemaining(node.node_id, static_cast<double>(after.shards));
    const bool silent = clock_.Now() - node.last_heartbeat > config_.node_down_after;
    if (after.shards == 0 && (after.pending_deletions == 0 || silent)) {
      FH_RETURN_IF_ERROR(registry_.SetState(node.node_id, NodeState::kRetired));
      FH_RETURN_IF_ERROR(durability_.FinishDrain(node.node_id, clock_.Now()));
      ++report.retired_nodes;
      log_.Info("drained node retired", {{"node_id", node.node_id}});
    }
  }
  return report;
}

}  // namespace freehold::coordinator
