#include "coordinator/core/shard_mover.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/manifest_rules.h"
#include "coordinator/core/node_registry.h"

namespace freehold::coordinator {

ShardMover::ShardMover(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                       PlacementSnapshots& placement, const GrantSigner& grants,
                       ShardTransfer& transfer, ShardRebuilder& rebuilder,
                       ByteRateLimiter& limiter, DurabilityMetrics* metrics)
    : store_(store),
      clock_(clock),
      config_(config),
      placement_(placement),
      grants_(grants),
      transfer_(transfer),
      rebuilder_(rebuilder),
      limiter_(limiter),
      metrics_(metrics) {}

absl::StatusOr<std::string> ShardMover::ChooseTarget(const std::vector<Node>& node_list,
                                                     absl::Time now, const std::string& object_id,
                                                     int segment,
                                                     const std::vector<std::string>& others,
                                                     std::vector<std::string> excluded,
                                                     const std::string& from_node_id) {
  const uint64_t min_free = config_.segment_size_bytes / config_.data_shards + kMaxShardPadding;
  FH_ASSIGN_OR_RETURN(std::shared_ptr<const placement::PlacementMap> map,
                      placement_.For(node_list, now, min_free));
  excluded.push_back(from_node_id);
  absl::StatusOr<std::string> chosen =
      map->ReplacementFor(SegmentKeyOf(object_id, segment), others, excluded);
  if (!chosen.ok() && absl::IsFailedPrecondition(chosen.status())) {
    // Every eligible domain is one the shard left before: leaving this node matters
    // more than not returning to an earlier one.
    const std::vector<std::string> only_from = {from_node_id};
    chosen = map->ReplacementFor(SegmentKeyOf(object_id, segment), others, only_from);
  }
  return chosen;
}

absl::StatusOr<std::string> ShardMover::RetargetPending(const std::string& from_node_id,
                                                        const PlacedShard& placed,
                                                        const char* reason) {
  const absl::Time now = clock_.Now();
  const std::string& object_id = placed.object_id;
  const int seg = placed.segment;
  const std::string key = ShardKey(object_id, seg, placed.index);
  std::string target;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    target.clear();
    // The object's row lock orders this with BeginSegment (which notes new grants
    // under it), ReplaceShardTarget and CommitSegment.
    FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, txn.objects().Get(object_id, true));
    if (!object.has_value() || object->state != ObjectState::kUploading) {
      return absl::OkStatus();
    }
    FH_ASSIGN_OR_RETURN(const absl::Time grants_expire, txn.objects().PutGrantsExpireAt(object_id));
    if (grants_expire > now) return absl::OkStatus();  // granted again: a live upload
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> segment, txn.segments().Get(object_id, seg));
    if (!segment.has_value() || segment->committed ||
        placed.index >= static_cast<int>(segment->shards.size())) {
      return absl::OkStatus();
    }
    ShardRecord& shard = segment->shards[placed.index];
    if (shard.node_id != from_node_id || shard.state != ShardState::kPending) {
      return absl::OkStatus();
    }
    std::vector<std::string> others;
    for (const ShardRecord& s : segment->shards) {
      if (s.index != placed.index) others.push_back(s.node_id);
    }
    FH_ASSIGN_OR_RETURN(std::vector<std::string> excluded,
                        txn.segments().PreviousNodes(object_id, seg, placed.index));
    FH_ASSIGN_OR_RETURN(std::vector<Node> node_list, txn.nodes().List());
    FH_ASSIGN_OR_RETURN(std::string chosen, ChooseTarget(node_list, now, object_id, seg, others,
                                                         std::move(excluded), from_node_id));
    FH_RETURN_IF_ERROR(
        txn.segments().RecordMove(object_id, seg, placed.index, from_node_id, chosen, reason, now));
    // Its grants expired: nothing more can arrive on the old node; what did goes now.
    FH_RETURN_IF_ERROR(txn.deletions().Enqueue(from_node_id, key, now));
    FH_RETURN_IF_ERROR(txn.deletions().Cancel(chosen, key));
    shard.node_id = chosen;
    shard.state = ShardState::kPending;
    FH_RETURN_IF_ERROR(txn.segments().Put(*segment));
    target = std::move(chosen);
    return absl::OkStatus();
  }));
  return target;
}

absl::StatusOr<MoveResult> ShardMover::Move(const std::string& from_node_id,
                                            const PlacedShard& placed,
                                            const std::string& to_node_id, const char* reason) {
  const absl::Time now = clock_.Now();
  const std::string& object_id = placed.object_id;
  const int seg = placed.segment;
  const std::string key = ShardKey(object_id, seg, placed.index);
  std::optional<ObjectRecord> object;
  std::optional<SegmentRecord> segment;
  std::vector<Node> node_list;
  std::vector<std::string> excluded;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(object, txn.objects().Get(object_id, false));
    FH_ASSIGN_OR_RETURN(segment, txn.segments().Get(object_id, seg));
    FH_ASSIGN_OR_RETURN(node_list, txn.nodes().List());
    FH_ASSIGN_OR_RETURN(excluded, txn.segments().PreviousNodes(object_id, seg, placed.index));
    return absl::OkStatus();
  }));
  MoveResult result;
  if (!object.has_value() || !segment.has_value() || !segment->committed ||
      placed.index >= static_cast<int>(segment->shards.size())) {
    return result;
  }
  const ShardRecord shard = segment->shards[placed.index];
  if (shard.node_id != from_node_id || shard.state != ShardState::kHealthy) return result;
  std::map<std::string, Node> nodes;
  for (const Node& n : node_list) nodes[n.node_id] = n;

  std::vector<std::string> current;
  for (const ShardRecord& s : segment->shards) {
    if (s.index != placed.index) current.push_back(s.node_id);
  }
  std::string target = to_node_id;
  if (target.empty()) {
    FH_ASSIGN_OR_RETURN(target, ChooseTarget(node_list, now, object_id, seg, current,
                                             std::move(excluded), from_node_id));
  }
  if (nodes.find(target) == nodes.end() || target == from_node_id) {
    return absl::FailedPreconditionError("move target is not a registered node");
  }

  const absl::Time expires = now + config_.grant_ttl;
  auto grant = [&](GrantOperation op, const std::string& node, int index) {
    GrantSpec g;
    g.operation = op;
    g.shard_key = ShardKey(object_id, seg, index);
    g.node_id = node;
    g.size_bytes = segment->shard_size_bytes;
    if (op == GrantOperation::kPut) g.sha256 = segment->shards[index].sha256;
    g.expires_at = expires;
    g.object_id = object_id;
    g.segment = seg;
    g.shard_index = index;
    return grants_.Sign(g);
  };

  limiter_.Acquire(segment->shard_size_bytes);
  std::string receipt;
  // Daemon to daemon first (--direct-copy): the target pulls the shard from the node
  // itself; its receipt is verified below like any other. On any failure (an older
  // daemon, the source not answering the target) the copy goes through here instead.
  absl::StatusOr<std::string> direct = absl::UnimplementedError("--direct-copy=false");
  if (config_.durability.direct_copy) {
    direct = transfer_.Copy(nodes[target].address, grant(GrantOperation::kPut, target, shard.index),
                            nodes[from_node_id].address,
                            grant(GrantOperation::kGet, from_node_id, shard.index));
  }
  absl::StatusOr<std::string> bytes = absl::UnknownError("not read: copied directly");
  if (!direct.ok()) {
    bytes = transfer_.Read(nodes[from_node_id].address,
                           grant(GrantOperation::kGet, from_node_id, shard.index),
                           segment->shard_size_bytes, shard.sha256);
  }
  if (direct.ok()) {
    receipt = *std::move(direct);
    result.copied = true;
    result.direct = true;
  } else if (bytes.ok()) {
    FH_ASSIGN_OR_RETURN(receipt, transfer_.Write(nodes[target].address,
                                                 grant(GrantOperation::kPut, target, shard.index),
                                                 *bytes));
    result.copied = true;
  } else {
    // The node does not answer (or lost the shard): rebuild from k other healthy shards.
    RebuildRequest request;
    request.object_id = object_id;
    request.segment = seg;
    request.data_shards = object->data_shards;
    request.parity_shards = object->parity_shards;
    request.shard_size_bytes = segment->shard_size_bytes;
    for (const ShardRecord& s : segment->shards) {
      if (s.index == shard.index || s.state != ShardState::kHealthy) continue;
      auto it = nodes.find(s.node_id);
      if (it == nodes.end()) continue;
      const NodeState st = EffectiveState(it->second, now, config_.node_down_after);
      if (st != NodeState::kUp && st != NodeState::kDraining) continue;
      request.sources.push_back(RebuildSource{s.index, it->second.address,
                                              grant(GrantOperation::kGet, s.node_id, s.index),
                                              s.sha256});
    }
    request.targets.push_back(RebuildTarget{shard.index, target, nodes[target].address,
                                            grant(GrantOperation::kPut, target, shard.index),
                                            shard.sha256});
    FH_ASSIGN_OR_RETURN(std::vector<std::string> receipts, rebuilder_.Rebuild(request));
    if (receipts.size() != 1) return absl::InternalError("rebuilder returned no receipt");
    receipt = receipts[0];
  }

  const ClaimsCodec& codec = grants_.codec();
  absl::Status committed = store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> live, txn.objects().Get(object_id, true));
    if (!live.has_value()) return absl::OkStatus();  // deleted meanwhile; GC cleans up
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> fresh, txn.segments().Get(object_id, seg));
    if (!fresh.has_value()) return absl::OkStatus();
    ShardRecord& s = fresh->shards[shard.index];
    if (s.node_id != from_node_id || s.state != ShardState::kHealthy) {
      return absl::AbortedError(absl::StrCat("shard ", shard.index, " changed while moving"));
    }
    // The target was chosen from a snapshot read before the copy; another move of the
    // same segment (a drain, a rebalance, a re-spread, a repair, each in its own loop)
    // may have committed a shard onto it since. Two shards of a segment on one node is
    // the double placement never to make: this copy is abandoned (deleted below).
    for (const ShardRecord& other : fresh->shards) {
      if (other.index != shard.index && other.node_id == target) {
        return absl::AbortedError(absl::StrCat("node ", target, " received shard ", other.index,
                                               " of the segment while shard ", shard.index,
                                               " was being copied there"));
      }
    }
    FH_ASSIGN_OR_RETURN(std::optional<Node> to, txn.nodes().Get(target, false));
    if (!to.has_value()) return absl::AbortedError("move target vanished");
    absl::StatusOr<Receipt> r = VerifyReceipt(receipt, to->public_key, codec);
    if (!r.ok() || r->node_id != target || r->shard_key != key ||
        r->size_bytes != fresh->shard_size_bytes || !SecureEquals(r->sha256, s.sha256)) {
      return absl::DataLossError(
          absl::StrCat("receipt from node ", target, " does not attest the recorded shard"));
    }
    FH_RETURN_IF_ERROR(
        txn.segments().RecordMove(object_id, seg, shard.index, from_node_id, target, reason, now));
    FH_RETURN_IF_ERROR(txn.deletions().Enqueue(from_node_id, key, now));
    // A deletion still queued from when the shard left the target earlier would remove
    // the copy the manifest now names.
    FH_RETURN_IF_ERROR(txn.deletions().Cancel(target, key));
    s.node_id = target;
    return txn.segments().Put(*fresh);
  });
  if (!committed.ok()) {
    // The copy on the target is nobody's: delete it once its PUT grant has expired,
    // unless the manifest names the target for this shard meanwhile.
    (void)store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> now_seg, txn.segments().Get(object_id, seg));
      if (now_seg.has_value() && now_seg->shards[shard.index].node_id == target) {
        return absl::OkStatus();
      }
      return txn.deletions().Enqueue(target, key, expires);
    });
    return committed;
  }
  result.moved = true;
  result.to_node_id = target;
  result.bytes = segment->shard_size_bytes;
  if (metrics_ != nullptr) {
    metrics_->Moved(reason, from_node_id,
                    result.direct ? "direct" : (result.copied ? "copy" : "rebuild"), result.bytes);
  }
  return result;
}

}  // namespace freehold::coordinator
