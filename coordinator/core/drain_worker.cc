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

    // Pending shards of uploads that stopped (a failed put): once their PUT grants have
    // expired nothing can still arrive, so they are re-targeted rather than holding the
    // drain until the upload is collected (--upload-ttl, 24 h by default).
    FH_ASSIGN_OR_RETURN(std::vector<PlacedShard> stale,
                        durability_.ExpiredPendingOn(node.node_id, clock_.Now(), batch));
    int retargeted = 0;
    for (const PlacedShard& p : stale) {
      absl::StatusOr<std::string> to = mover_.RetargetPending(node.node_id, p, "drain");
      if (!to.ok()) {
        ++report.failed_moves;
        log_.Warn("drain: re-targeting a stopped upload's pending shard failed",
                  {{"node_id", node.node_id},
                   {"object_id", p.object_id},
                   {"segment", p.segment},
                   {"index", p.index},
                   {"error", to.status()}});
        continue;
      }
      if (!to->empty()) ++retargeted;
    }
    if (retargeted > 0) {
      report.retargeted_pending += retargeted;
      log_.Info("drain: pending shards of stopped uploads re-targeted",
                {{"node_id", node.node_id}, {"shards", retargeted}});
    }

    FH_ASSIGN_OR_RETURN(NodeLoad after, durability_.LoadOf(node.node_id));
    if (metrics_ != nullptr) metrics_->DrainRemaining(node.node_id, static_cast<double>(after.shards));
    if (after.shards > 0) continue;
    // Decided on the node's row as stored now, under its lock: the pass above may have
    // lasted longer than --node-down-after, and `node` (read before it) would make a
    // node that heartbeats throughout look silent; retiring it then dropped the
    // deletions the pass had just queued and left the moved shards on its disk.
    FH_ASSIGN_OR_RETURN(const bool retired,
                        durability_.RetireIfDrained(node.node_id, clock_.Now(),
                                                    config_.node_down_after));
    if (retired) {
      ++report.retired_nodes;
      log_.Info("drained node retired", {{"node_id", node.node_id},
                                         {"pending_deletions", after.pending_deletions}});
    }
  }
  return report;
}

}  // namespace freehold::coordinator
