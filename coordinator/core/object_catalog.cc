#include "coordinator/core/object_catalog.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/abuse_desk.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/trash.h"

namespace freehold::coordinator {
ObjectSummary SummaryOf(const ObjectRecord& o, bool shared_with_caller) {
  ObjectSummary s;
  s.object_id = o.object_id;
  s.owner_account_id = o.owner_account_id;
  s.encrypted_metadata = o.encrypted_metadata;
  s.size_bytes = o.size_bytes;
  s.committed_at = o.committed_at;
  s.public_link = o.public_link;
  s.shared_with_me = shared_with_caller;
  s.folder_wrap = o.folder_wrap;
  if (!shared_with_caller) {  // the tree is the owner's
    s.parent_id = o.parent_id;
    s.name_hash = o.name_hash;
    s.link_disabled_at = o.link_disabled_at;
  }
  return s;
}

absl::Status QueueShardsAndRemove(MetadataTxn& txn, const std::string& object_id, absl::Time now) {
  FH_ASSIGN_OR_RETURN(std::vector<SegmentRecord> segments, txn.segments().List(object_id));
  // Not before the last PUT grant for the object expires: a replay of it then finds
  // its shard present instead of storing one nothing references.
  FH_ASSIGN_OR_RETURN(const absl::Time grants_expire, txn.objects().PutGrantsExpireAt(object_id));
  const absl::Time due = std::max(now, grants_expire);
  for (const SegmentRecord& segment : segments) {
    for (const ShardRecord& shard : segment.shards) {
      FH_RETURN_IF_ERROR(txn.deletions().Enqueue(
          shard.node_id, ShardKey(object_id, segment.segment, shard.index), due));
    }
  }
  return txn.objects().Remove(object_id);
}

ObjectCatalog::ObjectCatalog(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                             const GrantSigner& grants, Logger log)
    : store_(store), clock_(clock), config_(config), grants_(grants), log_(std::move(log)) {}

absl::StatusOr<ObjectManifest> ObjectCatalog::Get(const Caller* caller,
                                                  const std::string& raw_object_id,
                                                  int first_segment, int max_segments) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  if (first_segment < 0) return absl::InvalidArgumentError("first_segment is negative");
  if (max_segments < 0) return absl::InvalidArgumentError("max_segments is negative");
  const absl::Time now = clock_.Now();
  std::optional<ObjectManifest> out;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    std::optional<std::map<std::string, Node>> nodes;
    FH_ASSIGN_OR_RETURN(out, LoadManifest(txn, caller, object_id, now, nodes, nullptr,
                                          first_segment, max_segments));
    if (caller != nullptr && out->object.owner_account_id == caller->account_id) {
      FH_ASSIGN_OR_RETURN(out->shared_with, txn.objects().Shares(object_id));
    }
    return absl::OkStatus();
  }));
  return *std::move(out);
}

absl::StatusOr<ObjectManifest> ObjectCatalog::LoadManifest(
    MetadataTxn& txn, const Caller* caller, const std::string& object_id, absl::Time now,
    std::optional<std::map<std::string, Node>>& nodes,
    std::map<std::string, ObjectRecord>* preloaded, int first_segment, int max_segments) {
  std::optional<ObjectRecord> found;
  if (preloaded != nullptr) {
    auto it = preloaded->find(object_id);
    if (it != preloaded->end()) found = it->second;
  } else {
    FH_ASSIGN_OR_RETURN(found, txn.objects().Get(object_id, false));
  }
  if (!found.has_value() || found->state != ObjectState::kCommitted) {
    return ObjectNotFoundError(object_id);
  }
  ObjectRecord object = *std::move(found);
  bool shared = false;
  if (caller != nullptr && !caller->account_id.empty() && !IsOwner(object, *caller)) {
    FH_ASSIGN_OR_RETURN(shared, txn.objects().IsSharedWith(object_id, caller->account_id));
  }
  // In a folder whose subtree is shared with the caller, or linked (anonymous
  // callers included): readable as a shared object (docs/PROTOCOL.md 9.3).
  if (!shared && !object.parent_id.empty() && (caller == nullptr || !IsOwner(object, *caller))) {
    FH_ASSIGN_OR_RETURN(shared, txn.folders().SubtreeReadable(
                                    object.parent_id, caller == nullptr ? "" : caller->account_id));
  }
  // Anonymous callers and other accounts get the answer of an id that does not
  // exist, so that nobody learns that an object they may not read exists.
  if (!MayRead(object, caller, shared)) {
    // A link disabled after an abuse report says so (it was public: nothing leaks).
    if (object.link_disabled_at.has_value() && !object.trashed()) {
      return LinkDisabledError(object_id, *object.link_disabled_at);
    }
    return ObjectNotFoundError(object_id);
  }
  // Deleted: unreadable from the delete on, by everyone (core/trash.h).
  if (object.trashed()) return TrashedObjectError(object_id);
  // Checked only once the caller may read the object: nobody learns a segment count.
  if (first_segment > 0 && (object.is_inline || first_segment >= object.segment_count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("first_segment ", first_segment, " is past the object's last segment (",
                     object.is_inline ? 0 : object.segment_count, " segments)"));
  }
  const int page = max_segments == 0 ? config_.manifest_page_segments
                                     : std::min(max_segments, config_.manifest_page_segments);
  std::vector<SegmentRecord> segments;
  if (!object.is_inline) {
    FH_ASSIGN_OR_RETURN(segments, txn.segments().ListRange(object_id, first_segment, page));
    if (!nodes.has_value()) {
      nodes.emplace();
      FH_ASSIGN_OR_RETURN(std::vector<Node> all, txn.nodes().List());
      for (Node& n : all) nodes->emplace(n.node_id, std::move(n));
    }
  }

  ObjectManifest out;
  out.object = SummaryOf(object, shared);
  out.age_header = object.age_header;
  out.data_shards = object.data_shards;
  out.parity_shards = object.parity_shards;
  out.grants_expire_at = now + config_.grant_ttl;
  out.is_inline = object.is_inline;
  out.inline_payload = std::move(object.inline_payload);
  out.segment_count = object.is_inline ? 0 : object.segment_count;
  if (!object.is_inline && first_segment + page < object.segment_count) {
    out.next_segment = first_segment + page;
  }
  if (caller != nullptr && IsOwner(object, *caller)) {
    out.header_version = object.header_version;
    out.share_record = object.share_record;
  }
  for (const SegmentRecord& segment : segments) {
    SegmentManifest sm;
    sm.segment = segment.segment;
    sm.segment_size_bytes = segment.segment_size_bytes;
    sm.shard_size_bytes = segment.shard_size_bytes;
    for (const ShardRecord& shard : segment.shards) {
      ShardLocation loc;
      loc.index = shard.index;
      loc.node_id = shard.node_id;
      loc.sha256 = shard.sha256;
      loc.state = shard.state;
      loc.shard_key = ShardKey(object_id, segment.segment, shard.index);
      auto it = nodes->find(shard.node_id);
      if (it != nodes->end()) {
        loc.node_address = it->second.address;
        const NodeState ns = EffectiveState(it->second, now, config_.node_down_after);
        if (loc.state == ShardState::kHealthy && ns == NodeState::kDown) {
          loc.state = ShardState::kUnavailable;
        } else if (loc.state == ShardState::kHealthy && ns == NodeState::kRetired) {
          loc.state = ShardState::kMissing;
        }
      } else {
        loc.state = ShardState::kMissing;
      }
      if (loc.state == ShardState::kHealthy) {
        GrantSpec spec;
        spec.operation = GrantOperation::kGet;
        spec.shard_key = loc.shard_key;
        spec.node_id = shard.node_id;
        spec.size_bytes = segment.shard_size_bytes;
        spec.expires_at = out.grants_expire_at;
        spec.object_id = object_id;
        spec.segment = segment.segment;
        spec.shard_index = shard.index;
        loc.grant = grants_.Sign(spec);
      }
      sm.shards.push_back(std::move(loc));
    }
    out.segments.push_back(std::move(sm));
  }
  return out;
}

absl::StatusOr<std::vector<absl::StatusOr<ObjectManifest>>> ObjectCatalog::GetMany(
    const Caller& caller, const std::vector<std::string>& raw_ids, uint64_t max_bytes) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts get objects");
  if (raw_ids.empty()) return absl::InvalidArgumentError("object_ids is empty");
  if (raw_ids.size() > static_cast<size_t>(kMaxPageSize)) {
    return absl::InvalidArgumentError(
        absl::StrCat("object_ids has ", raw_ids.size(), " entries; at most ", kMaxPageSize));
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < raw_ids.size(); ++i) {
    FH_ASSIGN_OR_RETURN(std::string id,
                        CanonicalUuid(raw_ids[i], absl::StrCat("object_ids[", i, "]")));
    ids.push_back(std::move(id));
  }
  const absl::Time now = clock_.Now();
  std::vector<absl::StatusOr<ObjectManifest>> out;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    out.clear();
    std::optional<std::map<std::string, Node>> nodes;
    // Every row in one statement, not one per id.
    std::map<std::string, ObjectRecord> rows;
    {
      FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> found, txn.objects().GetMany(ids));
      for (ObjectRecord& r : found) {
        std::string id = r.object_id;
        rows.emplace(std::move(id), std::move(r));
      }
    }
    uint64_t bytes = 0;
    for (const std::string& id : ids) {
      absl::StatusOr<ObjectManifest> m = LoadManifest(txn, &caller, id, now, nodes, &rows);
      // A link disabled after an abuse report is, for a batch, not found.
      if (absl::IsFailedPrecondition(m.status())) m = ObjectNotFoundError(id);
      if (!m.ok() && !absl::IsNotFound(m.status())) return m.status();
      if (m.ok()) {
        uint64_t size = m->age_header.size() + m->inline_payload.size() +
                        m->object.encrypted_metadata.size() + kSummaryOverheadBytes;
        for (const SegmentManifest& s : m->segments) size += s.shards.size() * 512;
        // A prefix that fits (at least one answer): the caller asks again for the rest.
        if (bytes + size > max_bytes && !out.empty()) break;
        bytes += size;
      }
      out.push_back(std::move(m));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ObjectPage> ObjectCatalog::List(const Caller& caller, int page_size,
                                               const std::string& page_token, uint64_t max_bytes) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts list objects");
  if (page_size < 0) return absl::InvalidArgumentError("page.page_size is out of range");
  if (max_bytes > kMaxPageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_bytes is larger than ", kMaxPageBytes, " bytes"));
  }
  const uint64_t byte_budget = max_bytes == 0 ? kDefaultPageBytes : max_bytes;
  const int size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  std::string after;
  if (!page_token.empty()) {
    absl::StatusOr<std::string> id = CanonicalUuid(page_token, "page.page_token");
    if (!id.ok()) return absl::InvalidArgumentError("page.page_token is malformed");
    after = *id;
  }
  std::vector<ObjectRecord> records;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(records, txn.objects().ListVisible(caller.account_id, after, size + 1));
    return absl::OkStatus();
  }));
  ObjectPage page;
  bool more = static_cast<int>(records.size()) > size;
  if (more) records.resize(size);
  uint64_t bytes = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    bytes += records[i].encrypted_metadata.size() + records[i].owner_account_id.size() +
             kSummaryOverheadBytes;
    if (bytes > byte_budget && i > 0) {
      records.resize(i);
      more = true;
      break;
    }
  }
  for (const ObjectRecord& r : records) {
    page.objects.push_back(SummaryOf(r, !IsOwner(r, caller)));
  }
  if (more && !records.empty()) page.next_page_token = records.back().object_id;
  return page;
}

absl::StatusOr<ObjectRecord> ObjectCatalog::LoadOwnedCommitted(MetadataTxn& txn,
                                                               const Caller& caller,
                                                               const std::string& object_id) {
  FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, txn.objects().Get(object_id, true));
  if (!object.has_value()) return ObjectNotFoundError(object_id);
  if (!IsOwner(*object, caller)) {
    // Only a caller who may read the object (shared with it, or public) learns that
    // it exists; everyone else gets the answer of an id that does not exist.
    bool shared = false;
    if (object->state == ObjectState::kCommitted && !caller.account_id.empty()) {
      FH_ASSIGN_OR_RETURN(shared, txn.objects().IsSharedWith(object_id, caller.account_id));
    }
    if (!MayRead(*object, &caller, shared)) return ObjectNotFoundError(object_id);
    return absl::PermissionDeniedError(
        absl::StrCat("only the owner of object ", object_id, " may change it"));
  }
  if (object->trashed()) {
    return absl::FailedPreconditionError(
        absl::StrCat("object ", object_id,
                     " is in the trash: restore it first (or empty the trash to delete it for "
                     "good)"));
  }
  return *std::move(object);
}

absl::Status ObjectCatalog::CheckHeader(const std::string& age_header) const {
  if (age_header.empty()) return absl::InvalidArgumentError("age_header is required");
  if (age_header.size() > config_.max_header_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("age_header is larger than ", config_.max_header_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ObjectCatalog::Delete(const Caller& caller, const std::string& object_id) {
  return Delete(caller, object_id, nullptr);
}

absl::Status ObjectCatalog::Delete(const Caller& caller, const std::string& raw_object_id,
                                   absl::Time* purge_at) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  const absl::Time now = clock_.Now();
  absl::Time purge = now;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnedCommitted(txn, caller, object_id));
    FH_ASSIGN_OR_RETURN(purge, MoveToTrash(txn, std::move(object), now, config_.trash_window));
    return absl::OkStatus();
  }));
  if (purge_at != nullptr) *purge_at = purge;
  log_.Info(purge > now ? "object moved to the trash" : "object deleted",
            {{"object_id", object_id}});
  return absl::OkStatus();
}

namespace {

// ABORTED unless `expected` is 0 (no check) or the object's current version.
absl::Status CheckVersion(const ObjectRecord& object, uint64_t expected) {
  if (expected == 0 || expected == object.header_version) return absl::OkStatus();
  return absl::AbortedError(
      absl::StrCat("object ", object.object_id, " changed since it was read (header version ",
                   expected, ", now ", object.header_version, "): read it again and retry"));
}

}  // namespace

absl::Status ObjectCatalog::CheckShareRecord(const std::string& share_record) const {
  if (share_record.size() > config_.max_metadata_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("share_record is larger than ", config_.max_metadata_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ObjectCatalog::UpdateHeader(const Caller& caller,
                                                     const std::string& raw_object_id,
                                                     const std::string& age_header,
                                                     const std::vector<std::string>& share_with,
                                                     const std::string& share_record,
                                                     uint64_t expected_version) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  FH_RETURN_IF_ERROR(CheckHeader(age_header));
  FH_RETURN_IF_ERROR(CheckShareRecord(share_record));
  if (share_with.size() > static_cast<size_t>(config_.max_share_accounts)) {
    return absl::InvalidArgumentError(absl::StrCat("share_with_account_ids has more than ",
                                                   config_.max_share_accounts, " accounts"));
  }
  std::vector<std::string> accounts;
  for (size_t i = 0; i < share_with.size(); ++i) {
    FH_ASSIGN_OR_RETURN(
        std::string id,
        CanonicalUuid(share_with[i], absl::StrCat("share_with_account_ids[", i, "]")));
    if (id == caller.account_id) continue;  // the owner always reads
    accounts.push_back(std::move(id));
  }
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  uint64_t version = 0;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnedCommitted(txn, caller, object_id));
    FH_RETURN_IF_ERROR(CheckVersion(object, expected_version));
    object.age_header = age_header;
    object.share_record = share_record;
    version = ++object.header_version;
    FH_RETURN_IF_ERROR(txn.objects().Update(object));
    return txn.objects().ReplaceShares(object_id, accounts);
  }));
  return version;
}

absl::StatusOr<uint64_t> ObjectCatalog::SetPublicLink(const Caller& caller,
                                                      const std::string& raw_object_id,
                                                      bool enabled, const std::string& age_header,
                                                      const std::string& share_record,
                                                      uint64_t expected_version) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  if (enabled || !age_header.empty()) {
    FH_RETURN_IF_ERROR(CheckHeader(age_header));
  }
  FH_RETURN_IF_ERROR(CheckShareRecord(share_record));
  uint64_t version = 0;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnedCommitted(txn, caller, object_id));
    if (object.state != ObjectState::kCommitted) {
      return absl::FailedPreconditionError(
          absl::StrCat("object ", object_id, " is not committed yet"));
    }
    FH_RETURN_IF_ERROR(CheckVersion(object, expected_version));
    if (enabled && object.link_disabled_at.has_value()) {
      // An operator turned it off after an abuse report (core/abuse_desk.h).
      return absl::FailedPreconditionError(absl::StrCat(
          "the public link to object ", object_id, " was disabled after an abuse report on ",
          absl::FormatTime("%Y-%m-%d", *object.link_disabled_at, absl::UTCTimeZone()),
          "; it cannot be turned on again"));
    }
    object.public_link = enabled;
    if (!age_header.empty()) {
      object.age_header = age_header;
      object.share_record = share_record;
    }
    version = ++object.header_version;
    return txn.objects().Update(object);
  }));
  return version;
}

absl::Status ObjectCatalog::UpdateMetadata(const Caller& caller, const std::string& raw_object_id,
                                           const std::string& encrypted_metadata,
                                           const std::string& expected_metadata) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  if (encrypted_metadata.empty()) {
    return absl::InvalidArgumentError("encrypted_metadata is required");
  }
  if (encrypted_metadata.size() > config_.max_metadata_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("encrypted_metadata is larger than ", config_.max_metadata_bytes, " bytes"));
  }
  return store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnedCommitted(txn, caller, object_id));
    if (object.encrypted_metadata != expected_metadata) {
      return absl::AbortedError(absl::StrCat("the metadata of object ", object_id,
                                             " changed since it was read: read it again"));
    }
    object.encrypted_metadata = encrypted_metadata;
    ++object.header_version;
    return txn.objects().Update(object);
  });
}

absl::StatusOr<int> ObjectCatalog::DeleteAccountData(const std::string& raw_account_id) {
  FH_ASSIGN_OR_RETURN(const std::string account_id, CanonicalUuid(raw_account_id, "account_id"));
  int deleted = 0;
  for (int round = 0; round < 1000000; ++round) {
    std::vector<std::string> ids;
    FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(ids, txn.objects().ListOwnedBy(account_id, 100));
      return absl::OkStatus();
    }));
    if (ids.empty()) break;
    const absl::Time now = clock_.Now();
    for (const std::string& id : ids) {
      FH_RETURN_IF_ERROR(
          store_.Transact([&](MetadataTxn& txn) { return QueueShardsAndRemove(txn, id, now); }));
      ++deleted;
    }
  }
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_RETURN_IF_ERROR(txn.folders().RemoveAllOf(account_id));
    return txn.objects().RemoveSharesWith(account_id);
  }));
  return deleted;
}

}  // namespace freehold::coordinator
