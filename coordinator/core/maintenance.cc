#include "coordinator/core/maintenance.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {

GarbageCollector::GarbageCollector(MetadataStore& store, Clock& clock,
                                   const CoordinatorConfig& config, const GrantSigner& grants,
                                   StorageNodeClient& nodes, Logger log)
    : store_(store),
      clock_(clock),
      config_(config),
      grants_(grants),
      nodes_(nodes),
      log_(std::move(log)) {}

absl::StatusOr<int> GarbageCollector::CollectAbandonedUploads(int limit) {
  const absl::Time now = clock_.Now();
  std::vector<std::string> ids;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ids, txn.objects().ListExpiredUploads(now, limit));
    return absl::OkStatus();
  }));
  int collected = 0;
  for (const std::string& id : ids) {
    bool removed = false;
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      removed = false;
      FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, txn.objects().Get(id, true));
      // Re-check under lock: it may have been committed meanwhile.
      if (!object.has_value() || object->state != ObjectState::kUploading ||
          object->upload_expires_at > now) {
        return absl::OkStatus();
      }
      removed = true;
      return QueueShardsAndRemove(txn, id, now);
    }));
    if (removed) {
      ++collected;
      log_.Info("abandoned upload collected", {{"object_id", id}});
    }
  }
  return collected;
}

absl::StatusOr<bool> GarbageCollector::PlacedThere(const DeletionTask& task) {
  absl::StatusOr<ParsedShardKey> key = ParseShardKey(task.shard_key);
  if (!key.ok()) return false;
  bool placed = false;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> segment,
                        txn.segments().Get(key->object_id, key->segment));
    placed = segment.has_value() && key->index < static_cast<int>(segment->shards.size()) &&
             segment->shards[key->index].node_id == task.node_id;
    return absl::OkStatus();
  }));
  return placed;
}

absl::StatusOr<int> GarbageCollector::RunDeletions(int limit) {
  const absl::Time now = clock_.Now();
  std::vector<DeletionTask> tasks;
  std::map<std::string, Node> nodes;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(tasks, txn.deletions().Due(now, limit));
    if (tasks.empty()) return absl::OkStatus();
    FH_ASSIGN_OR_RETURN(std::vector<Node> all, txn.nodes().List());
    for (Node& n : all) nodes.emplace(n.node_id, std::move(n));
    return absl::OkStatus();
  }));
  int done = 0;
  for (const DeletionTask& task : tasks) {
    auto it = nodes.find(task.node_id);
    absl::Status result;
    bool drop = false;
    if (it == nodes.end()) {
      drop = true;  // nothing to delete from a node that is gone
    } else if (it->second.state == NodeState::kRetired &&
               now - it->second.last_heartbeat > config_.node_down_after) {
      // A retired node that stopped answering cannot delete; should it come back, the
      // orphan sweep (which visits retired nodes that answer) empties its disk.
      drop = true;
    } else if (EffectiveState(it->second, now, config_.node_down_after) == NodeState::kDown) {
      result = absl::UnavailableError("node is down");
    } else if (absl::StatusOr<bool> placed = PlacedThere(task); !placed.ok() || *placed) {
      // The manifest names this copy again (a move back onto the node): never delete it.
      // (A lookup error retries the task later.)
      if (!placed.ok()) {
        result = placed.status();
      } else {
        drop = true;
      }
    } else {
      GrantSpec spec;
      spec.operation = GrantOperation::kDelete;
      spec.shard_key = task.shard_key;
      spec.node_id = task.node_id;
      spec.expires_at = now + config_.grant_ttl;
      if (absl::StatusOr<ParsedShardKey> key = ParseShardKey(task.shard_key); key.ok()) {
        spec.object_id = key->object_id;
        spec.segment = key->segment;
        spec.shard_index = key->index;
      }
      result = nodes_.DeleteShard(it->second.address, grants_.Sign(spec), absl::Seconds(5));
      if (result.code() == absl::StatusCode::kNotFound) result = absl::OkStatus();
    }
    if (drop || result.ok()) {
      FH_RETURN_IF_ERROR(
          store_.Transact([&](MetadataTxn& txn) { return txn.deletions().Complete(task.id); }));
      ++done;
      continue;
    }
    const int exponent = std::min(task.attempts, 20);
    const absl::Duration backoff =
        std::min(absl::Seconds(1) * (int64_t{1} << exponent), config_.max_delete_backoff);
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) {
      return txn.deletions().Reschedule(task.id, now + backoff, std::string(result.message()));
    }));
    if (task.attempts >= 3) {
      log_.Warn("shard deletion keeps failing", {{"node_id", task.node_id},
                                                 {"shard_key", task.shard_key},
                                                 {"attempts", task.attempts + 1},
                                                 {"error", result}});
    }
  }
  return done;
}

AccountDeletionConsumer::AccountDeletionConsumer(MetadataStore& store, ObjectCatalog& catalog,
                                                 DeletedAccountsFeed& feed, Logger log)
    : store_(store), catalog_(catalog), feed_(feed), log_(std::move(log)) {}

absl::StatusOr<int> AccountDeletionConsumer::Poll(int limit) {
  int64_t cursor = 0;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(cursor, txn.cursors().Get(kConsumer));
    return absl::OkStatus();
  }));
  FH_ASSIGN_OR_RETURN(std::vector<DeletedAccountEvent> events, feed_.List(cursor, limit));
  int handled = 0;
  for (const DeletedAccountEvent& event : events) {
    if (event.sequence <= cursor) continue;
    absl::StatusOr<int> deleted = catalog_.DeleteAccountData(event.account_id);
    if (!deleted.ok() && deleted.status().code() != absl::StatusCode::kInvalidArgument) {
      return deleted.status();  // retried on the next poll
    }
    if (!deleted.ok()) {
      log_.Warn("deleted-account event with a malformed account id skipped",
                {{"sequence", event.sequence}});
    } else {
      log_.Info("deleted account's data removed",
                {{"account_id", event.account_id}, {"objects", *deleted}});
    }
    cursor = event.sequence;
    FH_RETURN_IF_ERROR(
        store_.Transact([&](MetadataTxn& txn) { return txn.cursors().Set(kConsumer, cursor); }));
    ++handled;
  }
  if (handled > 0) FH_RETURN_IF_ERROR(feed_.Ack(cursor));
  return handled;
}

ClusterMonitor::ClusterMonitor(MetadataStore& store, NodeRegistry& registry,
                               const CoordinatorConfig& config, CoordinatorMetrics* metrics)
    : store_(store), registry_(registry), config_(config), metrics_(metrics) {}

absl::StatusOr<ClusterSnapshot> ClusterMonitor::Snapshot() {
  ClusterSnapshot snap;
  FH_ASSIGN_OR_RETURN(snap.nodes, registry_.List());
  for (const Node& n : snap.nodes) {
    if (n.state == NodeState::kUp || n.state == NodeState::kDraining) {
      snap.raw_capacity_bytes += n.capacity_bytes;
      snap.raw_used_bytes += n.used_bytes;
    }
    if (n.state == NodeState::kUp) snap.raw_free_bytes += n.free_bytes;
  }
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(snap.totals, txn.stats().Totals());
    FH_ASSIGN_OR_RETURN(snap.health, txn.stats().HealthCounts());
    return absl::OkStatus();
  }));
  snap.data_shards = config_.data_shards;
  snap.parity_shards = config_.parity_shards;
  return snap;
}

absl::Status ClusterMonitor::Refresh() {
  FH_ASSIGN_OR_RETURN(ClusterSnapshot snap, Snapshot());
  int64_t pending = 0;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(pending, txn.deletions().Size());
    return absl::OkStatus();
  }));
  if (metrics_ != nullptr) {
    metrics_->SetNodes(snap.nodes);
    metrics_->SetTotals(snap.totals);
    metrics_->SetSegmentHealth(snap.health);
    metrics_->SetPendingDeletions(pending);
  }
  return absl::OkStatus();
}

absl::StatusOr<RepairPlan> ClusterMonitor::Plan(int limit) {
  std::vector<SegmentHealth> unhealthy;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(unhealthy, txn.stats().UnhealthySegments(limit));
    return absl::OkStatus();
  }));
  return PlanRepairs(std::move(unhealthy));
}

}  // namespace freehold::coordinator
