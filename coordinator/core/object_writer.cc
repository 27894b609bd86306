#include "coordinator/core/object_writer.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "coordinator/core/folders.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/internal/upload_rules.h"
#include "coordinator/core/manifest_rules.h"
#include "coordinator/core/small_objects.h"

namespace freehold::coordinator {
namespace upload_internal {

absl::StatusOr<int> SegmentIndex(int64_t value, absl::string_view field) {
  if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is out of range"));
  }
  return static_cast<int>(value);
}

// Loads an object for update and checks that `caller` owns it (NOT_FOUND otherwise).
absl::StatusOr<ObjectRecord> LoadOwned(MetadataTxn& txn, const Caller& caller,
                                       const std::string& object_id) {
  FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, txn.objects().Get(object_id, true));
  // Another account's object answers exactly like an id that does not exist.
  if (!object.has_value() || !IsOwner(*object, caller)) return ObjectNotFoundError(object_id);
  return *std::move(object);
}

absl::Status CheckUploading(const ObjectRecord& object, absl::Time now) {
  if (object.state == ObjectState::kCommitted) {
    return absl::FailedPreconditionError(
        absl::StrCat("object ", object.object_id, " is already committed"));
  }
  if (now >= object.upload_expires_at) {
    return absl::FailedPreconditionError(
        absl::StrCat("the upload of object ", object.object_id, " expired; start a new upload"));
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> AddressesOf(const std::vector<Node>& nodes) {
  std::map<std::string, std::string> out;
  for (const Node& n : nodes) out[n.node_id] = n.address;
  return out;
}

absl::StatusOr<absl::Time> CommitLoaded(MetadataTxn& txn, ObjectRecord& object,
                                        int64_t segment_count, absl::Time now) {
  const uint64_t expected = SegmentCount(object.size_bytes, object.segment_size_bytes);
  if (static_cast<uint64_t>(segment_count) != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        "segment_count is ", segment_count, " but the object's ", object.size_bytes,
        " bytes make ", expected, " segments of ", object.segment_size_bytes, " bytes"));
  }
  if (object.state == ObjectState::kCommitted) return object.committed_at.value_or(now);
  FH_RETURN_IF_ERROR(CheckUploading(object, now));
  FH_ASSIGN_OR_RETURN(std::vector<SegmentRecord> segments, txn.segments().List(object.object_id));
  std::vector<bool> committed(expected, false);
  for (const SegmentRecord& s : segments) {
    if (s.segment >= 0 && static_cast<uint64_t>(s.segment) < expected) {
      committed[s.segment] = s.committed;
    }
  }
  for (uint64_t i = 0; i < expected; ++i) {
    if (!committed[i]) {
      return absl::FailedPreconditionError(absl::StrCat("segment ", i, " is not committed"));
    }
  }
  object.state = ObjectState::kCommitted;
  object.committed_at = now;
  object.segment_count = static_cast<int>(expected);
  FH_RETURN_IF_ERROR(txn.objects().Update(object));
  return now;
}

}  // namespace upload_internal

using upload_internal::AddressesOf;
using upload_internal::CheckUploading;
using upload_internal::CommitLoaded;
using upload_internal::LoadOwned;
using upload_internal::SegmentIndex;

ObjectWriter::ObjectWriter(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                           PlacementSnapshots& placement, const GrantSigner& grants,
                           AdmissionController& admission, CoordinatorMetrics* metrics, Logger log)
    : store_(store),
      clock_(clock),
      config_(config),
      placement_(placement),
      grants_(grants),
      admission_(admission),
      metrics_(metrics),
      log_(std::move(log)) {}

absl::StatusOr<CreatedObject> ObjectWriter::CreateObject(const Caller& caller,
                                                         const CreateObjectInput& in) {
  if (caller.account_id.empty()) {
    return absl::PermissionDeniedError("only accounts can create objects");
  }
  if (in.encrypted_metadata.size() > config_.max_metadata_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("encrypted_metadata is larger than ", config_.max_metadata_bytes, " bytes"));
  }
  if (in.age_header.empty()) return absl::InvalidArgumentError("age_header is required");
  if (in.age_header.size() > config_.max_header_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("age_header is larger than ", config_.max_header_bytes, " bytes"));
  }
  if (in.size_bytes > config_.max_object_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("size_bytes is larger than the limit of ",
                                                   config_.max_object_bytes, " bytes"));
  }
  FH_RETURN_IF_ERROR(CheckNameHash(in.name_hash, "name_hash"));
  std::string object_id = NewUuid();
  if (!in.object_id.empty()) {
    FH_ASSIGN_OR_RETURN(object_id, CanonicalUuid(in.object_id, "object_id"));
  }
  FH_ASSIGN_OR_RETURN(const std::string parent, CheckParentId(in.parent_id, "parent_id"));
  const absl::Time now = clock_.Now();
  ObjectRecord object;
  object.object_id = object_id;
  object.owner_account_id = caller.account_id;
  object.encrypted_metadata = in.encrypted_metadata;
  object.age_header = in.age_header;
  object.size_bytes = in.size_bytes;
  object.data_shards = config_.data_shards;
  object.parity_shards = config_.parity_shards;
  object.segment_size_bytes = config_.segment_size_bytes;
  object.state = ObjectState::kUploading;
  object.created_at = now;
  object.upload_expires_at = now + config_.upload_ttl;
  object.name_hash = in.name_hash;
  object.parent_id = parent;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> taken,
                        txn.objects().Get(object.object_id, false));
    if (taken.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("object_id ", object.object_id, " is taken: choose another random id"));
    }
    FH_RETURN_IF_ERROR(CheckObjectPlacement(txn, caller.account_id, parent, in.name_hash, ""));
    return txn.objects().Insert(object);
  }));
  return CreatedObject{object.object_id, object.data_shards, object.parity_shards,
                       object.segment_size_bytes};
}

ShardTarget ObjectWriter::SignPut(const std::string& object_id, const SegmentRecord& segment,
                                  int index, const std::string& address,
                                  absl::Time expires_at) const {
  const ShardRecord& shard = segment.shards[index];
  GrantSpec spec;
  spec.operation = GrantOperation::kPut;
  spec.shard_key = ShardKey(object_id, segment.segment, index);
  spec.node_id = shard.node_id;
  spec.size_bytes = segment.shard_size_bytes;
  spec.sha256 = shard.sha256;
  spec.expires_at = expires_at;
  spec.object_id = object_id;
  spec.segment = segment.segment;
  spec.shard_index = index;
  ShardTarget target;
  target.index = index;
  target.node_id = shard.node_id;
  target.node_address = address;
  target.shard_key = spec.shard_key;
  target.grant = grants_.Sign(spec);
  return target;
}

absl::StatusOr<SegmentTargets> ObjectWriter::BeginSegment(const Caller& caller,
                                                          const BeginSegmentInput& in) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(in.object_id, "object_id"));
  FH_ASSIGN_OR_RETURN(const int segment_index, SegmentIndex(in.segment, "segment"));
  WriteRequest write;
  write.account_id = caller.account_id;
  write.object_id = object_id;
  write.logical_bytes = in.segment_size_bytes;
  write.raw_bytes = in.shard_size_bytes * in.shard_sha256.size();
  FH_RETURN_IF_ERROR(admission_.AdmitWrite(write));

  const absl::Time now = clock_.Now();
  const uint64_t min_free = config_.segment_size_bytes / config_.data_shards + kMaxShardPadding;
  SegmentRecord record;
  std::map<std::string, std::string> addresses;
  bool placed = false;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwned(txn, caller, object_id));
    FH_RETURN_IF_ERROR(CheckUploading(object, now));
    // Deleting the object waits for the PUT grants issued below to expire.
    FH_RETURN_IF_ERROR(txn.objects().NotePutGrants(object_id, now + config_.grant_ttl));
    FH_RETURN_IF_ERROR(
        CheckSegmentLayout(object.size_bytes, object.segment_size_bytes, object.data_shards,
                           object.parity_shards, static_cast<uint64_t>(segment_index),
                           in.segment_size_bytes, in.shard_size_bytes, in.shard_sha256));
    FH_ASSIGN_OR_RETURN(std::vector<Node> nodes, txn.nodes().List());
    addresses = AddressesOf(nodes);
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> existing,
                        txn.segments().Get(object_id, segment_index));
    placed = false;
    if (existing.has_value()) {
      if (existing->committed) {
        return absl::FailedPreconditionError(
            absl::StrCat("segment ", segment_index, " is already committed"));
      }
      bool same = existing->segment_size_bytes == in.segment_size_bytes &&
                  existing->shard_size_bytes == in.shard_size_bytes &&
                  existing->shards.size() == in.shard_sha256.size();
      for (size_t i = 0; same && i < existing->shards.size(); ++i) {
        same = existing->shards[i].sha256 == in.shard_sha256[i];
      }
      if (!same) {
        return absl::FailedPreconditionError(absl::StrCat(
            "segment ", segment_index,
            " was already begun with other sizes or hashes; a segment's bytes cannot change"));
      }
      record = *std::move(existing);
      return absl::OkStatus();
    }
    FH_ASSIGN_OR_RETURN(std::shared_ptr<const placement::PlacementMap> map,
                        placement_.For(nodes, now, min_free));
    FH_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                        map->PlaceIdsDegraded(SegmentKeyOf(object_id, segment_index),
                                              config_.DegradedMinNodes()));
    record = SegmentRecord();
    record.object_id = object_id;
    record.segment = segment_index;
    record.segment_size_bytes = in.segment_size_bytes;
    record.shard_size_bytes = in.shard_size_bytes;
    record.begun_at = now;
    for (size_t i = 0; i < ids.size(); ++i) {
      record.shards.push_back(
          ShardRecord{static_cast<int>(i), ids[i], in.shard_sha256[i], ShardState::kPending});
    }
    placed = true;
    return txn.segments().Put(record);
  }));
  if (placed && metrics_ != nullptr) metrics_->CountPlacement();

  const absl::Time sign_start = absl::Now();
  SegmentTargets out = SignTargets(object_id, record, addresses, now);
  if (metrics_ != nullptr) metrics_->ObserveGrantIssue(absl::Now() - sign_start);
  return out;
}

SegmentTargets ObjectWriter::SignTargets(const std::string& object_id,
                                         const SegmentRecord& record,
                                         const std::map<std::string, std::string>& addresses,
                                         absl::Time now) const {
  SegmentTargets out;
  out.grants_expire_at = now + config_.grant_ttl;
  out.min_shards_to_commit =
      std::min(static_cast<int>(record.shards.size()), config_.CommitMinShards());
  for (size_t i = 0; i < record.shards.size(); ++i) {
    auto it = addresses.find(record.shards[i].node_id);
    out.shards.push_back(SignPut(object_id, record, static_cast<int>(i),
                                 it == addresses.end() ? std::string() : it->second,
                                 out.grants_expire_at));
  }
  return out;
}

absl::StatusOr<ShardTarget> ObjectWriter::ReplaceShardTarget(const Caller& caller,
                                                             const ReplaceShardInput& in) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(in.object_id, "object_id"));
  FH_ASSIGN_OR_RETURN(const int segment_index, SegmentIndex(in.segment, "segment"));
  FH_ASSIGN_OR_RETURN(const int index, SegmentIndex(in.index, "index"));
  FH_RETURN_IF_ERROR(CheckNodeId(in.failed_node_id, "failed_node_id"));
  const absl::Time now = clock_.Now();
  const uint64_t min_free = config_.segment_size_bytes / config_.data_shards + kMaxShardPadding;
  SegmentRecord record;
  std::string new_node;
  std::string address;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwned(txn, caller, object_id));
    FH_RETURN_IF_ERROR(CheckUploading(object, now));
    FH_RETURN_IF_ERROR(txn.objects().NotePutGrants(object_id, now + config_.grant_ttl));
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> segment,
                        txn.segments().Get(object_id, segment_index));
    if (!segment.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("segment ", segment_index, " was not begun"));
    }
    if (segment->committed) {
      return absl::FailedPreconditionError(
          absl::StrCat("segment ", segment_index, " is already committed"));
    }
    if (index >= static_cast<int>(segment->shards.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("index must be below ", segment->shards.size()));
    }
    if (segment->shards[index].node_id != in.failed_node_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("shard ", index, " of segment ", segment_index, " is placed on node ",
                       segment->shards[index].node_id, ", not on ", in.failed_node_id));
    }
    std::vector<std::string> current;
    for (const ShardRecord& shard : segment->shards) {
      if (shard.index != index) current.push_back(shard.node_id);
    }
    FH_ASSIGN_OR_RETURN(std::vector<std::string> excluded,
                        txn.segments().PreviousNodes(object_id, segment_index, index));
    excluded.push_back(in.failed_node_id);
    FH_ASSIGN_OR_RETURN(std::vector<Node> nodes, txn.nodes().List());
    FH_ASSIGN_OR_RETURN(std::shared_ptr<const placement::PlacementMap> map,
                        placement_.For(nodes, now, min_free));
    absl::StatusOr<std::string> replacement =
        map->ReplacementFor(SegmentKeyOf(object_id, segment_index), current, excluded,
                            /*share_domains=*/true);
    if (!replacement.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("no replacement node for shard ", index,
                                                        ": ", replacement.status().message()));
    }
    new_node = *replacement;
    address = AddressesOf(nodes)[new_node];
    segment->shards[index].node_id = new_node;
    segment->shards[index].state = ShardState::kPending;
    FH_RETURN_IF_ERROR(txn.segments().Put(*segment));
    FH_RETURN_IF_ERROR(txn.segments().RecordMove(object_id, segment_index, index, in.failed_node_id,
                                                 new_node, "upload-replacement", now));
    // Whatever the failed node may still store is deleted once its grant expired.
    FH_RETURN_IF_ERROR(txn.deletions().Enqueue(
        in.failed_node_id, ShardKey(object_id, segment_index, index), now + config_.grant_ttl));
    record = *std::move(segment);
    return absl::OkStatus();
  }));
  log_.Info("shard target replaced", {{"object_id", object_id},
                                      {"segment", segment_index},
                                      {"index", index},
                                      {"from", in.failed_node_id},
                                      {"to", new_node}});
  const absl::Time sign_start = absl::Now();
  ShardTarget target = SignPut(object_id, record, index, address, now + config_.grant_ttl);
  if (metrics_ != nullptr) metrics_->ObserveGrantIssue(absl::Now() - sign_start);
  return target;
}

absl::StatusOr<std::optional<std::string>> ObjectWriter::StaleReceipt(
    MetadataTxn& txn, const SegmentRecord& segment, int index, const std::string& token,
    const ClaimsCodec& codec) {
  const ShardRecord& shard = segment.shards[index];
  absl::StatusOr<Receipt> peek = PeekReceipt(token, codec);
  if (!peek.ok()) return std::optional<std::string>();
  FH_ASSIGN_OR_RETURN(std::vector<std::string> previous,
                      txn.segments().PreviousNodes(segment.object_id, segment.segment, index));
  if (std::find(previous.begin(), previous.end(), peek->node_id) == previous.end()) {
    return std::optional<std::string>();
  }
  FH_ASSIGN_OR_RETURN(std::vector<Node> signer, txn.nodes().GetMany({peek->node_id}));
  if (signer.size() != 1) return std::optional<std::string>();
  absl::StatusOr<Receipt> receipt = VerifyReceipt(token, signer[0].public_key, codec);
  if (!receipt.ok() || receipt->node_id != peek->node_id ||
      receipt->shard_key != ShardKey(segment.object_id, segment.segment, index) ||
      receipt->size_bytes != segment.shard_size_bytes ||
      !SecureEquals(receipt->sha256, shard.sha256)) {
    return std::optional<std::string>();  // not a genuine receipt for the shard begun
  }
  return std::optional<std::string>(absl::StrCat("shard ", index, " (moved from node ",
                                                 peek->node_id, " to node ", shard.node_id,
                                                 ")"));
}

absl::Status ObjectWriter::ApplyReceipts(MetadataTxn& txn, const std::string& object_id,
                                         SegmentRecord& segment,
                                         const std::vector<std::string>& receipts,
                                         const std::map<std::string, std::string>& node_keys,
                                         absl::Time now, int* missing, std::string* missing_list,
                                         std::string* retargeted) const {
  const ClaimsCodec& codec = grants_.codec();
  const int n = static_cast<int>(segment.shards.size());
  std::vector<bool> have(n, false);
  std::vector<bool> stale_seen(n, false);
  retargeted->clear();  // "shard i (moved from node X to node Y)", ...
  for (size_t r = 0; r < receipts.size(); ++r) {
    const std::string where = absl::StrCat("receipts[", r, "]");
    absl::StatusOr<Receipt> peek = PeekReceipt(receipts[r], codec);
    if (!peek.ok()) return absl::InvalidArgumentError(absl::StrCat(where, " is malformed"));
    absl::StatusOr<ParsedShardKey> key = ParseShardKey(peek->shard_key);
    if (!key.ok() || key->object_id != object_id || key->segment != segment.segment ||
        key->index >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " is for shard key '", peek->shard_key,
                       "', not a shard of segment ", segment.segment, " of this object"));
    }
    const int index = key->index;
    const ShardRecord& shard = segment.shards[index];
    if (have[index]) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " repeats the receipt for shard ", index));
    }
    if (peek->node_id != shard.node_id) {
      // A receipt from a node the shard was moved off (re-targeted after the upload's
      // PUT grants expired, or replaced): that node's copy is queued for deletion, so
      // the receipt proves nothing durable. It does not count, and does not fail the
      // whole commit either (StaleReceipt says which it is).
      FH_ASSIGN_OR_RETURN(std::optional<std::string> stale,
                          StaleReceipt(txn, segment, index, receipts[r], codec));
      if (stale.has_value()) {
        if (stale_seen[index]) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " repeats the receipt for shard ", index));
        }
        stale_seen[index] = true;
        absl::StrAppend(retargeted, retargeted->empty() ? "" : ", ", *stale);
        continue;
      }
    }
    auto it = node_keys.find(shard.node_id);
    if (it == node_keys.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("node ", shard.node_id, " of shard ", index, " is not registered"));
    }
    absl::StatusOr<Receipt> receipt = VerifyReceipt(receipts[r], it->second, codec);
    if (!receipt.ok() || receipt->node_id != shard.node_id) {
      return absl::InvalidArgumentError(absl::StrCat("receipt for shard ", index, " (", where,
                                                     ") is not signed by node ", shard.node_id,
                                                     ", where the shard was placed"));
    }
    if (receipt->size_bytes != segment.shard_size_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("receipt for shard ", index, " attests ", receipt->size_bytes,
                       " bytes; the segment was begun with ", segment.shard_size_bytes));
    }
    if (!SecureEquals(receipt->sha256, shard.sha256)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "receipt for shard ", index, " attests a SHA-256 that differs from the one begun"));
    }
    have[index] = true;
  }
  std::string absent;  // "shard i (node X)", ...
  int stored = 0;
  for (int i = 0; i < n; ++i) {
    if (have[i]) {
      ++stored;
      continue;
    }
    absl::StrAppend(&absent, absent.empty() ? "" : ", ", "shard ", i, " (node ",
                    segment.shards[i].node_id, ")");
  }
  const int min_stored = std::min(n, config_.CommitMinShards());
  if (stored < min_stored) {
    if (!retargeted->empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "receipts for ", stored, " of ", n, " shards; at least ", min_stored,
          " are needed to commit; moved to another node since their receipts were signed "
          "(re-targeted once the upload's PUT grants expired, or replaced): ",
          *retargeted,
          " (the old node's copy is deleted; BeginSegment again for grants to the new "
          "nodes); missing receipt for ",
          absent));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "receipts for ", stored, " of ", n, " shards; at least ", min_stored,
        " are needed to commit (missing receipt for ", absent, ")"));
  }
  // Degraded commit: a shard without receipt is MISSING, so the repair loop rebuilds
  // it on its next tick (ordered by the segment's margin like any other).
  for (ShardRecord& shard : segment.shards) {
    shard.state = have[shard.index] ? ShardState::kHealthy : ShardState::kMissing;
  }
  segment.committed = true;
  segment.committed_at = now;
  *missing = n - stored;
  if (*missing > 0) *missing_list = absent;
  return absl::OkStatus();
}

absl::Status ObjectWriter::CommitSegment(const Caller& caller, const CommitSegmentInput& in,
                                         int* missing_shards) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(in.object_id, "object_id"));
  FH_ASSIGN_OR_RETURN(const int segment_index, SegmentIndex(in.segment, "segment"));
  if (in.receipts.size() > static_cast<size_t>(placement::PlacementPolicy::kMaxShards)) {
    return absl::InvalidArgumentError("receipts has more entries than a segment has shards");
  }
  const absl::Time now = clock_.Now();
  int missing = 0;
  std::string missing_list;
  std::string retargeted;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    missing = 0;
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwned(txn, caller, object_id));
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> segment,
                        txn.segments().Get(object_id, segment_index));
    if (!segment.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("segment ", segment_index, " was not begun"));
    }
    if (segment->committed) return absl::OkStatus();
    FH_RETURN_IF_ERROR(CheckUploading(object, now));

    std::map<std::string, std::string> node_keys;
    {
      std::vector<std::string> ids;
      for (const ShardRecord& shard : segment->shards) ids.push_back(shard.node_id);
      FH_ASSIGN_OR_RETURN(std::vector<Node> placed, txn.nodes().GetMany(ids));
      for (Node& node : placed) node_keys[node.node_id] = std::move(node.public_key);
    }
    FH_RETURN_IF_ERROR(ApplyReceipts(txn, object_id, *segment, in.receipts, node_keys, now,
                                     &missing, &missing_list, &retargeted));
    return txn.segments().Put(*segment);
  }));
  if (missing_shards != nullptr) *missing_shards = missing;
  if (missing > 0) {
    if (metrics_ != nullptr) metrics_->CountDegradedCommit();
    log_.Info("segment committed degraded; missing shards queued for repair",
              {{"object_id", object_id},
               {"segment", segment_index},
               {"missing_shards", missing},
               {"missing", missing_list},
               {"stale_receipts", retargeted}});
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> ObjectWriter::CommitObject(const Caller& caller,
                                                      const std::string& raw_object_id,
                                                      int64_t segment_count) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  if (segment_count < 0) return absl::InvalidArgumentError("segment_count is out of range");
  const absl::Time now = clock_.Now();
  absl::Time committed_at = now;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwned(txn, caller, object_id));
    FH_ASSIGN_OR_RETURN(committed_at, CommitLoaded(txn, object, segment_count, now));
    return absl::OkStatus();
  }));
  return committed_at;
}

}  // namespace freehold::coordinator
