// ObjectWriter::BeginSegments / CommitSegments (docs/ARCHITECTURE.md#batched-segments):
// the single calls' rules over many segments, with a fixed number of statements per
// batch (objects locked in one statement, segments read in one, written in one).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/internal/upload_rules.h"
#include "coordinator/core/manifest_rules.h"
#include "coordinator/core/object_writer.h"

namespace freehold::coordinator {
namespace {

using upload_internal::AddressesOf;
using upload_internal::CheckUploading;
using upload_internal::SegmentIndex;

// (object id, segment) of one item.
using ItemKey = std::pair<std::string, int>;

// `s` with its message prefixed by the item's name (code and payloads kept, so an
// admission delay keeps its retry-after).
absl::Status Named(absl::string_view item, const absl::Status& s) {
  absl::Status out(s.code(), absl::StrCat(item, ": ", s.message()));
  s.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}
absl::Status AtItem(size_t i, const absl::Status& s) {
  return Named(absl::StrCat("segments[", i, "]"), s);
}

// The (object, segment) of every item, validated: ids canonical, indexes in range,
// no pair twice, 1..max items.
absl::StatusOr<std::vector<ItemKey>> ItemKeys(
    const std::vector<std::pair<std::string, int64_t>>& raw, int max_items) {
  if (raw.empty()) return absl::InvalidArgumentError("segments is empty");
  if (raw.size() > static_cast<size_t>(max_items)) {
    return absl::InvalidArgumentError(absl::StrCat("segments has ", raw.size(), " items; at most ",
                                                   max_items,
                                                   " per call (--max-segments-per-batch)"));
  }
  std::vector<ItemKey> keys;
  std::map<ItemKey, size_t> seen;
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::string field = absl::StrCat("segments[", i, "]");
    FH_ASSIGN_OR_RETURN(std::string id, CanonicalUuid(raw[i].first, field + ".object_id"));
    FH_ASSIGN_OR_RETURN(int segment, SegmentIndex(raw[i].second, field + ".segment"));
    auto [it, fresh] = seen.emplace(std::make_pair(id, segment), i);
    if (!fresh) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " repeats segments[", it->second, "] (segment ", segment, " of object ", id, ")"));
    }
    keys.emplace_back(std::move(id), segment);
  }
  return keys;
}

// An item of a batch ("segments[3]", "objects[0]") and the object it names.
struct NamedObject {
  std::string item;
  std::string object_id;
};

std::vector<NamedObject> SegmentItems(const std::vector<ItemKey>& keys) {
  std::vector<NamedObject> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    out.push_back({absl::StrCat("segments[", i, "]"), keys[i].first});
  }
  return out;
}

// The distinct object ids of `items`, sorted.
std::vector<std::string> ObjectIds(const std::vector<NamedObject>& items) {
  std::set<std::string> ids;
  for (const NamedObject& n : items) ids.insert(n.object_id);
  return std::vector<std::string>(ids.begin(), ids.end());
}

// Locks the objects of `items` and checks that the caller owns each (NOT_FOUND naming
// the first item of an object that does not exist or is another account's).
absl::StatusOr<std::map<std::string, ObjectRecord>> LockOwned(
    MetadataTxn& txn, const Caller& caller, const std::vector<NamedObject>& items) {
  FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> rows, txn.objects().LockMany(ObjectIds(items)));
  std::map<std::string, ObjectRecord> objects;
  for (ObjectRecord& o : rows) objects.emplace(o.object_id, std::move(o));
  for (const NamedObject& n : items) {
    auto it = objects.find(n.object_id);
    // Another account's object answers exactly like an id that does not exist.
    if (it == objects.end() || !IsOwner(it->second, caller)) {
      return Named(n.item, ObjectNotFoundError(n.object_id));
    }
  }
  return objects;
}

std::map<ItemKey, SegmentRecord> ByKey(std::vector<SegmentRecord> segments) {
  std::map<ItemKey, SegmentRecord> out;
  for (SegmentRecord& s : segments) {
    auto key = std::make_pair(s.object_id, s.segment);
    out.emplace(std::move(key), std::move(s));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<SegmentTargets>> ObjectWriter::BeginSegments(
    const Caller& caller, const std::vector<BeginSegmentInput>& in) {
  std::vector<std::pair<std::string, int64_t>> raw;
  raw.reserve(in.size());
  for (const BeginSegmentInput& item : in) raw.emplace_back(item.object_id, item.segment);
  FH_ASSIGN_OR_RETURN(const std::vector<ItemKey> keys,
                      ItemKeys(raw, config_.max_segments_per_batch));
  for (size_t i = 0; i < in.size(); ++i) {
    WriteRequest write;
    write.account_id = caller.account_id;
    write.object_id = keys[i].first;
    write.logical_bytes = in[i].segment_size_bytes;
    write.raw_bytes = in[i].shard_size_bytes * in[i].shard_sha256.size();
    if (absl::Status s = admission_.AdmitWrite(write); !s.ok()) return AtItem(i, s);
  }

  const absl::Time now = clock_.Now();
  const uint64_t min_free = config_.segment_size_bytes / config_.data_shards + kMaxShardPadding;
  std::vector<SegmentRecord> records;
  std::map<std::string, std::string> addresses;
  int placed = 0;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    records.assign(in.size(), SegmentRecord());
    placed = 0;
    FH_ASSIGN_OR_RETURN(const auto objects, LockOwned(txn, caller, SegmentItems(keys)));
    for (size_t i = 0; i < keys.size(); ++i) {
      const ObjectRecord& object = objects.at(keys[i].first);
      if (absl::Status s = CheckUploading(object, now); !s.ok()) return AtItem(i, s);
      if (absl::Status s = CheckSegmentLayout(
              object.size_bytes, object.segment_size_bytes, object.data_shards,
              object.parity_shards, static_cast<uint64_t>(keys[i].second), in[i].segment_size_bytes,
              in[i].shard_size_bytes, in[i].shard_sha256);
          !s.ok()) {
        return AtItem(i, s);
      }
    }
    // Deleting an object waits for the PUT grants issued below to expire.
    FH_RETURN_IF_ERROR(
        txn.objects().NotePutGrantsMany(ObjectIds(SegmentItems(keys)), now + config_.grant_ttl));
    FH_ASSIGN_OR_RETURN(std::vector<Node> nodes, txn.nodes().List());
    addresses = AddressesOf(nodes);
    FH_ASSIGN_OR_RETURN(std::vector<SegmentRecord> found, txn.segments().GetMany(keys));
    auto existing = ByKey(std::move(found));
    std::shared_ptr<const placement::PlacementMap> map;
    std::vector<SegmentRecord> to_put;
    for (size_t i = 0; i < keys.size(); ++i) {
      const auto& [object_id, segment_index] = keys[i];
      auto it = existing.find(keys[i]);
      if (it != existing.end()) {
        const SegmentRecord& old = it->second;
        if (old.committed) {
          return AtItem(i, absl::FailedPreconditionError(
                               absl::StrCat("segment ", segment_index, " is already committed")));
        }
        bool same = old.segment_size_bytes == in[i].segment_size_bytes &&
                    old.shard_size_bytes == in[i].shard_size_bytes &&
                    old.shards.size() == in[i].shard_sha256.size();
        for (size_t s = 0; same && s < old.shards.size(); ++s) {
          same = old.shards[s].sha256 == in[i].shard_sha256[s];
        }
        if (!same) {
          return AtItem(i, absl::FailedPreconditionError(absl::StrCat(
                               "segment ", segment_index,
                               " was already begun with other sizes or hashes; a segment's "
                               "bytes cannot change")));
        }
        records[i] = old;
        continue;
      }
      if (map == nullptr) {
        FH_ASSIGN_OR_RETURN(map, placement_.For(nodes, now, min_free));
      }
      absl::StatusOr<std::vector<std::string>> ids =
          map->PlaceIdsDegraded(SegmentKeyOf(object_id, segment_index), config_.DegradedMinNodes());
      if (!ids.ok()) return AtItem(i, ids.status());
      SegmentRecord& record = records[i];
      record.object_id = object_id;
      record.segment = segment_index;
      record.segment_size_bytes = in[i].segment_size_bytes;
      record.shard_size_bytes = in[i].shard_size_bytes;
      record.begun_at = now;
      for (size_t s = 0; s < ids->size(); ++s) {
        record.shards.push_back(ShardRecord{static_cast<int>(s), (*ids)[s], in[i].shard_sha256[s],
                                            ShardState::kPending});
      }
      to_put.push_back(record);
      ++placed;
    }
    return txn.segments().PutMany(to_put);
  }));
  if (metrics_ != nullptr) {
    for (int i = 0; i < placed; ++i) metrics_->CountPlacement();
  }

  const absl::Time sign_start = absl::Now();
  std::vector<SegmentTargets> out;
  out.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    out.push_back(SignTargets(keys[i].first, records[i], addresses, now));
  }
  if (metrics_ != nullptr) metrics_->ObserveGrantIssue(absl::Now() - sign_start);
  return out;
}

absl::StatusOr<CommittedBatch> ObjectWriter::CommitSegments(
    const Caller& caller, const std::vector<CommitSegmentInput>& in,
    const std::vector<CommitObjectInput>& objects) {
  if (in.empty() && objects.empty()) {
    return absl::InvalidArgumentError("segments and objects are empty");
  }
  const size_t max_items = static_cast<size_t>(config_.max_segments_per_batch);
  if (in.size() + objects.size() > max_items) {
    return absl::InvalidArgumentError(
        absl::StrCat("segments and objects have ", in.size() + objects.size(), " items; at most ",
                     max_items, " per call (--max-segments-per-batch)"));
  }
  std::vector<ItemKey> keys;
  if (!in.empty()) {
    std::vector<std::pair<std::string, int64_t>> raw;
    raw.reserve(in.size());
    for (const CommitSegmentInput& item : in) raw.emplace_back(item.object_id, item.segment);
    FH_ASSIGN_OR_RETURN(keys, ItemKeys(raw, config_.max_segments_per_batch));
  }
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].receipts.size() > static_cast<size_t>(placement::PlacementPolicy::kMaxShards)) {
      return absl::InvalidArgumentError(
          absl::StrCat("segments[", i, "].receipts has more entries than a segment has shards"));
    }
  }
  std::vector<std::string> object_ids;  // of `objects`, canonical
  std::map<std::string, size_t> object_seen;
  for (size_t i = 0; i < objects.size(); ++i) {
    const std::string field = absl::StrCat("objects[", i, "]");
    FH_ASSIGN_OR_RETURN(std::string id, CanonicalUuid(objects[i].object_id, field + ".object_id"));
    if (objects[i].segment_count < 0 || objects[i].segment_count > INT32_MAX) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".segment_count is out of range"));
    }
    auto [it, fresh] = object_seen.emplace(id, i);
    if (!fresh) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " repeats objects[", it->second, "] (object ", id, ")"));
    }
    object_ids.push_back(std::move(id));
  }
  const absl::Time now = clock_.Now();
  CommittedBatch out;
  std::vector<std::string> missing_list(in.size());
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    out.missing_shards.assign(in.size(), 0);
    out.committed_at.assign(objects.size(), now);
    std::fill(missing_list.begin(), missing_list.end(), std::string());
    std::vector<NamedObject> items = SegmentItems(keys);
    for (size_t i = 0; i < object_ids.size(); ++i) {
      items.push_back({absl::StrCat("objects[", i, "]"), object_ids[i]});
    }
    absl::StatusOr<std::map<std::string, ObjectRecord>> locked = LockOwned(txn, caller, items);
    if (!locked.ok()) return locked.status();
    std::map<std::string, ObjectRecord>& owned = *locked;
    std::vector<SegmentRecord> found;
    if (!keys.empty()) {
      FH_ASSIGN_OR_RETURN(found, txn.segments().GetMany(keys));
    }
    auto segments = ByKey(std::move(found));
    std::set<std::string> node_ids;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = segments.find(keys[i]);
      if (it == segments.end()) {
        return AtItem(i, absl::FailedPreconditionError(
                             absl::StrCat("segment ", keys[i].second, " was not begun")));
      }
      if (it->second.committed) continue;  // committed before: a retry
      if (absl::Status s = CheckUploading(owned.at(keys[i].first), now); !s.ok()) {
        return AtItem(i, s);
      }
      for (const ShardRecord& shard : it->second.shards) node_ids.insert(shard.node_id);
    }
    std::map<std::string, std::string> node_keys;
    if (!node_ids.empty()) {
      const std::vector<std::string> ids(node_ids.begin(), node_ids.end());
      FH_ASSIGN_OR_RETURN(std::vector<Node> placed, txn.nodes().GetMany(ids));
      for (Node& node : placed) node_keys[node.node_id] = std::move(node.public_key);
    }
    std::vector<SegmentRecord> to_put;
    for (size_t i = 0; i < keys.size(); ++i) {
      SegmentRecord& segment = segments.at(keys[i]);
      if (segment.committed) continue;
      std::string retargeted;
      if (absl::Status s = ApplyReceipts(txn, keys[i].first, segment, in[i].receipts, node_keys,
                                         now, &out.missing_shards[i], &missing_list[i],
                                         &retargeted);
          !s.ok()) {
        return AtItem(i, s);
      }
      to_put.push_back(segment);
    }
    FH_RETURN_IF_ERROR(txn.segments().PutMany(to_put));
    for (size_t i = 0; i < object_ids.size(); ++i) {
      absl::StatusOr<absl::Time> at = upload_internal::CommitLoaded(txn, owned.at(object_ids[i]),
                                                                    objects[i].segment_count, now);
      if (!at.ok()) {
        return Named(absl::StrCat("objects[", i, "]"), at.status());
      }
      out.committed_at[i] = *at;
    }
    return absl::OkStatus();
  }));
  for (size_t i = 0; i < keys.size(); ++i) {
    if (out.missing_shards[i] == 0) continue;
    if (metrics_ != nullptr) metrics_->CountDegradedCommit();
    log_.Info("segment committed degraded; missing shards queued for repair",
              {{"object_id", keys[i].first},
               {"segment", keys[i].second},
               {"missing_shards", out.missing_shards[i]},
               {"missing", missing_list[i]}});
  }
  return out;
}

}  // namespace freehold::coordinator
