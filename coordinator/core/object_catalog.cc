#include "coordinator/core/object_catalog.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/node_registry.h"

namespace freehold::coordinator {
namespace {

ObjectSummary SummaryOf(const ObjectRecord& o, bool shared_with_caller) {
  ObjectSummary s;
  s.object_id = o.object_id;
  s.owner_account_id = o.owner_account_id;
  s.encrypted_metadata = o.encrypted_metadata;
  s.size_bytes = o.size_bytes;
  s.committed_at = o.committed_at;
  s.public_link = o.public_link;
  s.shared_with_me = shared_with_caller;
  return s;
}

}  // namespace

absl::Status QueueShardsAndRemove(MetadataTxn& txn, const std::string& object_id, absl::Time now) {
  FH_ASSIGN_OR_RETURN(std::vector<SegmentRecord> segments, txn.segments().List(object_id));
  for (const SegmentRecord& segment : segments) {
    for (const ShardRecord& shard : segment.shards) {
      FH_RETURN_IF_ERROR(txn.deletions().Enqueue(
          shard.node_id, ShardKey(object_id, segment.segment, shard.index), now));
    }
  }
  return txn.objects().Remove(object_id);
}

ObjectCatalog::ObjectCatalog(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                             const GrantSigner& grants, Logger log)
    : store_(store), clock_(clock), config_(config), grants_(grants), log_(std::move(log)) {}

absl::StatusOr<ObjectManifest> ObjectCatalog::Get(const Caller* caller,
                                                  const std::string& raw_object_id) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  const absl::Time now = clock_.Now();
  ObjectRecord object;
  std::vector<SegmentRecord> segments;
  std::map<std::string, Node> nodes;
  bool shared = false;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> found, txn.objects().Get(object_id, false));
    if (!found.has_value() || found->state != ObjectState::kCommitted) {
      return ObjectNotFoundError(object_id);
    }
    object = *std::move(found);
    shared = false;
    if (caller != nullptr && !caller->account_id.empty() && !IsOwner(object, *caller)) {
      FH_ASSIGN_OR_RETURN(shared, txn.objects().IsSharedWith(object_id, caller->account_id));
    }
    // Anonymous callers and other accounts get the answer of an id that does not
    // exist, so that nobody learns that an object they may not read exists.
    if (!MayRead(object, caller, shared)) return ObjectNotFoundError(object_id);
    FH_ASSIGN_OR_RETURN(segments, txn.segments().List(object_id));
    FH_ASSIGN_OR_RETURN(std::vector<Node> all, txn.nodes().List());
    for (Node& n : all) nodes.emplace(n.node_id, std::move(n));
    return absl::OkStatus();
  }));

  ObjectManifest out;
  out.object = SummaryOf(object, shared);
  out.age_header = object.age_header;
  out.data_shards = object.data_shards;
  out.parity_shards = object.parity_shards;
  out.grants_expire_at = now + config_.grant_ttl;
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
      auto it = nodes.find(shard.node_id);
      if (it != nodes.end()) {
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

absl::StatusOr<ObjectPage> ObjectCatalog::List(const Caller& caller, int page_size,
                                               const std::string& page_token) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts list objects");
  if (page_size < 0) return absl::InvalidArgumentError("page.page_size is out of range");
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
  const bool more = static_cast<int>(records.size()) > size;
  if (more) records.resize(size);
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

absl::Status ObjectCatalog::Delete(const Caller& caller, const std::string& raw_object_id) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  const absl::Time now = clock_.Now();
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnedCommitted(txn, caller, object_id));
    return QueueShardsAndRemove(txn, object.object_id, now);
  }));
  log_.Info("object deleted", {{"object_id", object_id}});
  return absl::OkStatus();
}

absl::Status ObjectCatalog::UpdateHeader(const Caller& caller, const std::string& raw_object_id,
                                         const std::string& age_header,
                                         const std::vector<std::string>& share_with) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  FH_RETURN_IF_ERROR(CheckHeader(age_header));
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
  return store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnedCommitted(txn, caller, object_id));
    object.age_header = age_header;
    FH_RETURN_IF_ERROR(txn.objects().Update(object));
    return txn.objects().ReplaceShares(object_id, accounts);
  });
}

absl::Status ObjectCatalog::SetPublicLink(const Caller& caller, const std::string& raw_object_id,
                                          bool enabled, const std::string& age_header) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, CanonicalUuid(raw_object_id, "object_id"));
  if (enabled || !age_header.empty()) {
    FH_RETURN_IF_ERROR(CheckHeader(age_header));
  }
  return store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnedCommitted(txn, caller, object_id));
    if (object.state != ObjectState::kCommitted) {
      return absl::FailedPreconditionError(
          absl::StrCat("object ", object_id, " is not committed yet"));
    }
    object.public_link = enabled;
    if (!age_header.empty()) object.age_header = age_header;
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
  FH_RETURN_IF_ERROR(store_.Transact(
      [&](MetadataTxn& txn) { return txn.objects().RemoveSharesWith(account_id); }));
  return deleted;
}

}  // namespace freehold::coordinator
