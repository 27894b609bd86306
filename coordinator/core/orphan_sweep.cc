#include "coordinator/core/orphan_sweep.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/bloom_filter.h"
#include "common/status.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {
namespace {

// The shard-key bound of an object: its 32 hex digits (every key of the object sorts
// at or after it, every key of a smaller object before it).
std::string ObjectBound(const std::string& object_id) {
  return absl::StrReplaceAll(object_id, {{"-", ""}});
}

}  // namespace

absl::Status OrphanSweepSettings::Validate() const {
  if (interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--orphan-sweep-interval must not be negative");
  }
  if (page_keys < 1 || page_keys > 10000000) {
    return absl::InvalidArgumentError("--orphan-sweep-page-keys must be 1..10000000");
  }
  if (!(fp_rate > 0 && fp_rate < 0.5)) {
    return absl::InvalidArgumentError("orphan sweep false-positive rate must be in (0, 0.5)");
  }
  return absl::OkStatus();
}

OrphanSweepWorker::OrphanSweepWorker(MetadataStore& store, ShardRefSource& refs,
                                     OrphanSweepSender& sender, OrphanSweepSettings settings,
                                     Clock& clock, absl::Duration node_down_after, Logger log)
    : store_(store),
      refs_(refs),
      sender_(sender),
      settings_(settings),
      clock_(clock),
      node_down_after_(node_down_after),
      log_(std::move(log)) {}

absl::StatusOr<OrphanSweepTotals> OrphanSweepWorker::RunOnce() {
  std::vector<Node> nodes;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(nodes, txn.nodes().List());
    return absl::OkStatus();
  }));
  const absl::Time now = clock_.Now();
  OrphanSweepTotals totals;
  for (const Node& node : nodes) {
    if (node.state == NodeState::kDown || node.address.empty()) continue;
    // A retired node that still answers is swept like any other: what the manifests
    // still name on it (a retire by an operator, before repair moved its shards) is
    // kept, everything else goes, so that it ends up holding nothing.
    if (node.state == NodeState::kRetired && now - node.last_heartbeat > node_down_after_) {
      continue;
    }
    absl::StatusOr<OrphanSweepReply> reply = SweepNode(node);
    if (!reply.ok()) {
      ++totals.nodes_failed;
      log_.Warn("orphan sweep of a node failed",
                {{"node_id", node.node_id}, {"error", reply.status()}});
      continue;
    }
    ++totals.nodes_swept;
    totals.deleted += reply->deleted;
    totals.deleted_bytes += reply->deleted_bytes;
    if (reply->deleted > 0) {
      log_.Info("orphan sweep deleted unreferenced shards",
                {{"node_id", node.node_id}, {"deleted", reply->deleted},
                 {"bytes", reply->deleted_bytes}});
    }
  }
  return totals;
}

absl::Status OrphanSweepWorker::RunIfDue(absl::Time now) {
  if (settings_.interval <= absl::ZeroDuration()) return absl::OkStatus();
  if (now - last_run_ < settings_.interval) return absl::OkStatus();
  FH_ASSIGN_OR_RETURN(OrphanSweepTotals totals, RunOnce());
  last_run_ = now;
  if (totals.nodes_failed > 0) {
    return absl::UnavailableError(absl::StrCat("orphan sweep failed on ", totals.nodes_failed,
                                               " node(s); see the warnings above"));
  }
  return absl::OkStatus();
}

absl::StatusOr<OrphanSweepReply> OrphanSweepWorker::SweepNode(const Node& node) {
  OrphanSweepReply total;
  std::string from_object;  // "" = from the first key
  while (true) {
    // One more row than a page: tells whether another page follows.
    FH_ASSIGN_OR_RETURN(std::vector<NodeShardRef> rows,
                        refs_.ShardRefsOn(node.node_id, from_object, settings_.page_keys + 1));
    std::string next_object;
    if (rows.size() > static_cast<size_t>(settings_.page_keys)) {
      // Cut before the object of the last row so no object spans two pages. A single
      // object with more rows than a page (not possible with sane settings) widens it.
      next_object = rows.back().object_id;
      while (!rows.empty() && rows.back().object_id == next_object) rows.pop_back();
      if (rows.empty()) {
        FH_ASSIGN_OR_RETURN(rows, refs_.ShardRefsOn(node.node_id, from_object, 1 << 30));
        next_object.clear();
        for (const NodeShardRef& r : rows) {
          if (r.object_id != rows.front().object_id) {
            next_object = r.object_id;
            break;
          }
        }
        if (!next_object.empty()) {
          while (rows.back().object_id != rows.front().object_id) rows.pop_back();
        }
      }
    }
    BloomFilter filter =
        BloomFilter::ForCapacity(rows.size(), settings_.fp_rate, BloomFilter::NewKey());
    for (const NodeShardRef& r : rows) filter.Add(ShardKey(r.object_id, r.segment, r.index));
    OrphanSweepCall call;
    call.node_id = node.node_id;
    call.filter_bits = filter.bits();
    call.filter_hash_count = filter.hash_count();
    call.filter_hash_key = filter.key();
    call.key_count = rows.size();
    call.range_start = from_object.empty() ? "" : ObjectBound(from_object);
    call.range_end = next_object.empty() ? "" : ObjectBound(next_object);
    FH_ASSIGN_OR_RETURN(OrphanSweepReply reply,
                        sender_.Sweep(node.address, call, settings_.timeout));
    total.examined += reply.examined;
    total.deleted += reply.deleted;
    total.deleted_bytes += reply.deleted_bytes;
    total.kept_young += reply.kept_young;
    if (next_object.empty()) return total;
    from_object = next_object;
  }
}

}  // namespace freehold::coordinator
