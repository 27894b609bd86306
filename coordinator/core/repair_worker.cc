#include "coordinator/core/repair_worker.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/manifest_rules.h"
#include "coordinator/core/node_registry.h"

namespace freehold::coordinator {

RepairWorker::RepairWorker(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                           PlacementSnapshots& placement, const GrantSigner& grants,
                           ClusterMonitor& monitor, ShardRebuilder& rebuilder, Logger log)
    : store_(store),
      clock_(clock),
      config_(config),
      placement_(placement),
      grants_(grants),
      monitor_(monitor),
      rebuilder_(rebuilder),
      log_(std::move(log)) {
  if (config_.durability.repair_bytes_per_second > 0) {
    limiter_ = std::make_unique<ByteRateLimiter>(config_.durability.repair_bytes_per_second);
  }
}

absl::StatusOr<RepairReport> RepairWorker::RunOnce(int limit) {
  FH_ASSIGN_OR_RETURN(RepairPlan plan, monitor_.Plan(limit));
  RepairReport report;
  report.lost_segments = static_cast<int>(plan.lost.size());
  report.unavailable_segments = static_cast<int>(plan.unavailable.size());
  bool log_lost = false, log_unavailable = false;
  {
    absl::MutexLock lock(&mu_);
    log_lost = report.lost_segments != logged_lost_;
    log_unavailable = report.unavailable_segments != logged_unavailable_;
    logged_lost_ = report.lost_segments;
    logged_unavailable_ = report.unavailable_segments;
  }
  if (log_lost && !plan.lost.empty()) {
    log_.Warn("segments lost: fewer than k healthy shards",
              {{"segments", report.lost_segments},
               {"first_object_id", plan.lost.front().object_id},
               {"first_segment", plan.lost.front().segment}});
  }
  if (log_unavailable && !plan.unavailable.empty()) {
    log_.Warn(
        "segments unavailable (not lost): fewer than k healthy shards on up nodes, "
        "the others are on nodes that are down",
        {{"segments", report.unavailable_segments},
         {"first_object_id", plan.unavailable.front().object_id},
         {"first_segment", plan.unavailable.front().segment}});
  }
  // Distinct segments, most endangered first, taken in order by up to
  // --repair-parallelism threads; the results are reported below in plan order.
  const std::vector<RepairTask>& tasks = plan.repairable;
  std::vector<absl::StatusOr<int>> results(tasks.size(), 0);
  {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < tasks.size(); i = next++) {
        results[i] = RepairSegment(tasks[i].segment.object_id, tasks[i].segment.segment);
      }
    };
    const int threads = static_cast<int>(std::min<size_t>(
        static_cast<size_t>(std::max(1, config_.durability.repair_parallelism)), tasks.size()));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
  }
  for (size_t i = 0; i < tasks.size(); ++i) {
    const RepairTask& task = tasks[i];
    const absl::StatusOr<int>& rebuilt = results[i];
    const std::pair<std::string, int> id(task.segment.object_id, task.segment.segment);
    if (!rebuilt.ok()) {
      ++report.failed_segments;
      bool first = false;
      {
        absl::MutexLock lock(&mu_);
        if (failing_.size() > 100000) failing_.clear();  // bounded (deleted segments)
        first = failing_.insert(id).second;
      }
      if (first) {
        log_.Warn("segment repair failed (logged once until it succeeds)",
                  {{"object_id", task.segment.object_id},
                   {"segment", task.segment.segment},
                   {"error", rebuilt.status()}});
      }
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      failing_.erase(id);
    }
    if (*rebuilt > 0) {
      ++report.repaired_segments;
      report.rebuilt_shards += *rebuilt;
    }
  }
  // Reported as a gauge (an alert after 15 min), each segment logged once above: not a
  // warning per segment per tick.
  if (metrics_ != nullptr) metrics_->SetUnrepairableSegments(report.failed_segments);
  return report;
}

absl::StatusOr<int> RepairWorker::RepairSegment(const std::string& object_id, int segment_index) {
  const absl::Time now = clock_.Now();
  std::optional<ObjectRecord> object;
  std::optional<SegmentRecord> segment;
  std::vector<Node> node_list;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(object, txn.objects().Get(object_id, false));
    FH_ASSIGN_OR_RETURN(segment, txn.segments().Get(object_id, segment_index));
    FH_ASSIGN_OR_RETURN(node_list, txn.nodes().List());
    return absl::OkStatus();
  }));
  if (!object.has_value() || object->state != ObjectState::kCommitted || !segment.has_value() ||
      !segment->committed) {
    return 0;  // deleted or not committed meanwhile
  }
  std::map<std::string, Node> nodes;
  for (const Node& n : node_list) nodes[n.node_id] = n;

  RebuildRequest request;
  request.object_id = object_id;
  request.segment = segment_index;
  request.data_shards = object->data_shards;
  request.parity_shards = object->parity_shards;
  request.shard_size_bytes = segment->shard_size_bytes;
  std::vector<std::string> current;        // nodes that keep their shard
  std::vector<const ShardRecord*> wanted;  // shards to rebuild now
  const absl::Time grants_expire = now + config_.grant_ttl;
  for (const ShardRecord& shard : segment->shards) {
    auto it = nodes.find(shard.node_id);
    const NodeState state = it == nodes.end()
                                ? NodeState::kRetired
                                : EffectiveState(it->second, now, config_.node_down_after);
    if (shard.state == ShardState::kHealthy &&
        (state == NodeState::kUp || state == NodeState::kDraining)) {
      GrantSpec get;
      get.operation = GrantOperation::kGet;
      get.shard_key = ShardKey(object_id, segment_index, shard.index);
      get.node_id = shard.node_id;
      get.size_bytes = segment->shard_size_bytes;
      get.expires_at = grants_expire;
      get.object_id = object_id;
      get.segment = segment_index;
      get.shard_index = shard.index;
      request.sources.push_back(
          RebuildSource{shard.index, it->second.address, grants_.Sign(get), shard.sha256});
      current.push_back(shard.node_id);
      continue;
    }
    bool due = shard.state == ShardState::kMissing || state == NodeState::kRetired;
    if (state == NodeState::kDown) {
      const absl::Time down_since = it->second.last_heartbeat + config_.node_down_after;
      due = due || now >= down_since + config_.repair_after;
    }
    if (due) {
      wanted.push_back(&shard);
    } else {
      current.push_back(shard.node_id);  // may come back: keep its domain taken
    }
  }
  if (wanted.empty()) return 0;
  if (static_cast<int>(request.sources.size()) < object->data_shards) {
    return absl::DataLossError(absl::StrCat("only ", request.sources.size(), " of ",
                                            object->data_shards, " shards are healthy"));
  }

  const uint64_t min_free = config_.segment_size_bytes / config_.data_shards + kMaxShardPadding;
  FH_ASSIGN_OR_RETURN(std::shared_ptr<const placement::PlacementMap> map,
                      placement_.For(node_list, now, min_free));
  const placement::SegmentKey key = SegmentKeyOf(object_id, segment_index);
  std::map<int, std::string> old_node;
  // Targets that hold another shard of the segment by the plan's own choice (degraded
  // placement below); any other target must still hold none when the repair commits.
  std::set<std::string> shared_by_plan;
  for (const ShardRecord* shard : wanted) {
    std::vector<std::string> excluded;
    FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(excluded,
                          txn.segments().PreviousNodes(object_id, segment_index, shard->index));
      return absl::OkStatus();
    }));
    excluded.push_back(shard->node_id);
    // Degraded when no unused domain is eligible (exactly k+m domains): a shard in a
    // domain that holds another beats a shard missing.
    FH_ASSIGN_OR_RETURN(std::string target,
                        map->ReplacementFor(key, current, excluded, /*share_domains=*/true));
    if (std::find(current.begin(), current.end(), target) != current.end()) {
      shared_by_plan.insert(target);
    }
    current.push_back(target);
    GrantSpec put;
    put.operation = GrantOperation::kPut;
    put.shard_key = ShardKey(object_id, segment_index, shard->index);
    put.node_id = target;
    put.size_bytes = segment->shard_size_bytes;
    put.sha256 = shard->sha256;
    put.expires_at = grants_expire;
    put.object_id = object_id;
    put.segment = segment_index;
    put.shard_index = shard->index;
    request.targets.push_back(RebuildTarget{shard->index, target, nodes[target].address,
                                            grants_.Sign(put), shard->sha256});
    old_node[shard->index] = shard->node_id;
  }

  if (limiter_ != nullptr) {
    // What the rebuild moves: k shards read, the targets written.
    limiter_->Acquire(segment->shard_size_bytes *
                      static_cast<uint64_t>(object->data_shards + request.targets.size()));
  }
  FH_ASSIGN_OR_RETURN(std::vector<std::string> receipts, rebuilder_.Rebuild(request));
  if (receipts.size() != request.targets.size()) {
    return absl::InternalError("rebuilder returned a receipt count that differs from the targets");
  }
  const ClaimsCodec& codec = grants_.codec();
  absl::Status committed = store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> live, txn.objects().Get(object_id, true));
    if (!live.has_value()) return absl::OkStatus();  // deleted meanwhile; GC cleans up
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> fresh,
                        txn.segments().Get(object_id, segment_index));
    if (!fresh.has_value()) return absl::OkStatus();
    // The targets were chosen from a snapshot read before the rebuild; a move of another
    // shard of the segment (a drain, a rebalance, a re-spread, each in its own loop) may
    // have committed onto one of them since: never two shards on one node unless the
    // plan itself chose it (degraded).
    for (const RebuildTarget& t : request.targets) {
      if (shared_by_plan.count(t.node_id)) continue;
      for (const ShardRecord& other : fresh->shards) {
        bool repaired = false;
        for (const RebuildTarget& u : request.targets) repaired |= u.index == other.index;
        if (!repaired && other.node_id == t.node_id) {
          return absl::AbortedError(absl::StrCat("node ", t.node_id, " received shard ",
                                                 other.index, " of the segment while shard ",
                                                 t.index, " was being rebuilt there"));
        }
      }
    }
    std::vector<std::string> ids;
    for (const RebuildTarget& t : request.targets) ids.push_back(t.node_id);
    FH_ASSIGN_OR_RETURN(std::vector<Node> targets, txn.nodes().GetMany(ids));
    std::map<std::string, std::string> keys;
    for (const Node& n : targets) keys[n.node_id] = n.public_key;
    for (size_t i = 0; i < request.targets.size(); ++i) {
      const RebuildTarget& t = request.targets[i];
      ShardRecord& shard = fresh->shards[t.index];
      if (shard.node_id != old_node[t.index]) {
        return absl::AbortedError(
            absl::StrCat("shard ", t.index, " moved while it was being repaired"));
      }
      absl::StatusOr<Receipt> receipt = VerifyReceipt(receipts[i], keys[t.node_id], codec);
      if (!receipt.ok() || receipt->node_id != t.node_id ||
          receipt->shard_key != ShardKey(object_id, segment_index, t.index) ||
          receipt->size_bytes != fresh->shard_size_bytes ||
          !SecureEquals(receipt->sha256, shard.sha256)) {
        return absl::DataLossError(absl::StrCat("repair receipt for shard ", t.index, " from node ",
                                                t.node_id, " does not attest the recorded shard"));
      }
      FH_RETURN_IF_ERROR(txn.segments().RecordMove(object_id, segment_index, t.index, shard.node_id,
                                                   t.node_id, "repair", now));
      FH_RETURN_IF_ERROR(
          txn.deletions().Enqueue(shard.node_id, ShardKey(object_id, segment_index, t.index), now));
      // The target may be a node the shard left before, with its deletion still queued.
      FH_RETURN_IF_ERROR(
          txn.deletions().Cancel(t.node_id, ShardKey(object_id, segment_index, t.index)));
      shard.node_id = t.node_id;
      shard.state = ShardState::kHealthy;
    }
    return txn.segments().Put(*fresh);
  });
  if (!committed.ok()) {
    // The rebuilt copies are nobody's: deleted once their PUT grants have expired,
    // unless the manifest names that node for that shard meanwhile (RunDeletions checks).
    (void)store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      for (const RebuildTarget& t : request.targets) {
        FH_RETURN_IF_ERROR(txn.deletions().Enqueue(
            t.node_id, ShardKey(object_id, segment_index, t.index), grants_expire));
      }
      return absl::OkStatus();
    });
    return committed;
  }
  log_.Info("segment repaired", {{"object_id", object_id},
                                 {"segment", segment_index},
                                 {"rebuilt_shards", static_cast<int>(request.targets.size())}});
  return static_cast<int>(request.targets.size());
}

}  // namespace freehold::coordinator
