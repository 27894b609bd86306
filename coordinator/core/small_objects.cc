#include "coordinator/core/small_objects.h"

#include <set>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/folders.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {

absl::Status CheckNameHash(const std::string& hash, absl::string_view field) {
  if (hash.empty() || hash.size() == kNameHashBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must be ", kNameHashBytes, " bytes (got ", hash.size(), ")"));
}

SmallObjects::SmallObjects(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                           AdmissionController& admission, Logger log)
    : store_(store), clock_(clock), config_(config), admission_(admission), log_(std::move(log)) {}

UploadLimits SmallObjects::Limits() const {
  UploadLimits l;
  l.inline_max_bytes = config_.inline_max_bytes;
  l.inline_batch_max_objects = config_.inline_batch_max_objects;
  l.inline_batch_max_bytes = config_.inline_batch_max_bytes;
  l.data_shards = config_.data_shards;
  l.parity_shards = config_.parity_shards;
  l.segment_size_bytes = config_.segment_size_bytes;
  return l;
}

absl::StatusOr<InlineCommit> SmallObjects::PutInline(
    const Caller& caller, const std::vector<InlineObjectInput>& objects) {
  if (caller.account_id.empty()) {
    return absl::PermissionDeniedError("only accounts can create objects");
  }
  if (config_.inline_max_bytes == 0) {
    return absl::FailedPreconditionError(
        "this coordinator stores no objects inline (--inline-max-size 0); upload as shards");
  }
  if (objects.empty()) return absl::InvalidArgumentError("objects is empty");
  if (objects.size() > static_cast<size_t>(config_.inline_batch_max_objects)) {
    return absl::InvalidArgumentError(absl::StrCat("objects has ", objects.size(),
                                                   " entries; at most ",
                                                   config_.inline_batch_max_objects, " per call"));
  }
  uint64_t batch_bytes = 0;
  uint64_t payload_bytes = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    const InlineObjectInput& o = objects[i];
    const std::string at = absl::StrCat("objects[", i, "]");
    if (o.payload.empty()) return absl::InvalidArgumentError(absl::StrCat(at, ".payload is empty"));
    if (o.payload.size() > config_.inline_max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".payload is ", o.payload.size(), " bytes, more than the inline limit of ",
                       config_.inline_max_bytes, " bytes; upload it as shards"));
    }
    if (o.encrypted_metadata.size() > config_.max_metadata_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".encrypted_metadata is larger than ", config_.max_metadata_bytes, " bytes"));
    }
    if (o.age_header.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".age_header is required"));
    }
    if (o.age_header.size() > config_.max_header_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".age_header is larger than ", config_.max_header_bytes, " bytes"));
    }
    FH_RETURN_IF_ERROR(CheckNameHash(o.name_hash, absl::StrCat(at, ".name_hash")));
    FH_RETURN_IF_ERROR(CheckParentId(o.parent_id, absl::StrCat(at, ".parent_id")).status());
    payload_bytes += o.payload.size();
    batch_bytes += o.payload.size() + o.encrypted_metadata.size() + o.age_header.size();
  }
  if (batch_bytes > config_.inline_batch_max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("the batch holds ", batch_bytes,
                                                   " bytes, more than the limit of ",
                                                   config_.inline_batch_max_bytes, " per call"));
  }
  std::vector<ObjectRecord> records(objects.size());
  std::set<std::string> chosen;
  for (size_t i = 0; i < objects.size(); ++i) {
    records[i].object_id = NewUuid();
    if (objects[i].object_id.empty()) continue;
    FH_ASSIGN_OR_RETURN(records[i].object_id,
                        CanonicalUuid(objects[i].object_id, absl::StrCat("objects[", i, "].object_id")));
    if (!chosen.insert(records[i].object_id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("objects[", i, "].object_id repeats an earlier entry's id"));
    }
  }
  WriteRequest write;
  write.account_id = caller.account_id;
  write.object_id = records.front().object_id;
  write.logical_bytes = payload_bytes;
  write.raw_bytes = payload_bytes;  // stored once (PostgreSQL replicates it)
  FH_RETURN_IF_ERROR(admission_.AdmitWrite(write));

  const absl::Time now = clock_.Now();
  for (size_t i = 0; i < objects.size(); ++i) {
    ObjectRecord& r = records[i];
    r.owner_account_id = caller.account_id;
    r.encrypted_metadata = objects[i].encrypted_metadata;
    r.age_header = objects[i].age_header;
    r.size_bytes = objects[i].payload.size();
    r.data_shards = config_.data_shards;
    r.parity_shards = config_.parity_shards;
    r.segment_size_bytes = config_.segment_size_bytes;
    r.state = ObjectState::kCommitted;
    r.created_at = now;
    r.upload_expires_at = now;
    r.committed_at = now;
    r.segment_count = 0;
    r.name_hash = objects[i].name_hash;
    r.is_inline = true;
    r.inline_payload = objects[i].payload;
    r.parent_id = *CheckParentId(objects[i].parent_id, "parent_id");
  }
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    // Every folder namespace of the batch locked first, in sorted order: two batches
    // into the same folders never wait on each other in a cycle (they deadlocked,
    // each waiting deadlock_timeout, when locks were taken in arrival order).
    std::set<std::string> parents;
    for (const ObjectRecord& r : records) {
      if (!r.parent_id.empty() || !r.name_hash.empty()) parents.insert(r.parent_id);
    }
    for (const std::string& parent : parents) {
      FH_RETURN_IF_ERROR(txn.folders().LockNamespace(caller.account_id, parent));
    }
    std::set<std::string> checked_parents;  // checked once per batch
    for (size_t i = 0; i < records.size(); ++i) {
      const ObjectRecord& r = records[i];
      FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> taken, txn.objects().Get(r.object_id, false));
      if (taken.has_value()) {
        return absl::AlreadyExistsError(
            absl::StrCat("object_id ", r.object_id, " is taken: choose another random id"));
      }
      FH_RETURN_IF_ERROR(CheckObjectPlacement(txn, caller.account_id, r.parent_id, r.name_hash,
                                              absl::StrCat("objects[", i, "]"),
                                              &checked_parents));
      FH_RETURN_IF_ERROR(txn.objects().Insert(r));
    }
    return absl::OkStatus();
  }));
  InlineCommit out;
  out.committed_at = now;
  for (const ObjectRecord& r : records) out.object_ids.push_back(r.object_id);
  log_.Info("inline objects stored", {{"account_id", caller.account_id},
                                      {"objects", std::to_string(records.size())},
                                      {"bytes", std::to_string(payload_bytes)}});
  return out;
}

absl::StatusOr<std::vector<NameMatches>> SmallObjects::FindByNames(
    const Caller& caller, const std::vector<std::string>& hashes) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts look up names");
  if (hashes.empty()) return absl::InvalidArgumentError("name_hashes is empty");
  if (hashes.size() > static_cast<size_t>(kMaxNameLookups)) {
    return absl::InvalidArgumentError(
        absl::StrCat("name_hashes has ", hashes.size(), " entries; at most ", kMaxNameLookups));
  }
  for (size_t i = 0; i < hashes.size(); ++i) {
    const std::string field = absl::StrCat("name_hashes[", i, "]");
    if (hashes[i].empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
    FH_RETURN_IF_ERROR(CheckNameHash(hashes[i], field));
  }
  std::vector<NameMatches> out(hashes.size());
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    for (size_t i = 0; i < hashes.size(); ++i) {
      out[i].name_hash = hashes[i];
      out[i].objects.clear();
      FH_ASSIGN_OR_RETURN(
          std::vector<ObjectRecord> found,
          txn.objects().FindByNameHash(caller.account_id, hashes[i], kMaxMatchesPerName));
      for (const ObjectRecord& r : found) out[i].objects.push_back(SummaryOf(r, false));
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace freehold::coordinator
