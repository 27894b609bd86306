#include "coordinator/core/trash.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/folders.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {

absl::StatusOr<absl::Time> MoveToTrash(MetadataTxn& txn, ObjectRecord object, absl::Time now,
                                       absl::Duration window) {
  if (object.trashed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "object ", object.object_id,
        " is already in the trash (restore it, or empty the trash to delete it for good)"));
  }
  // An unfinished upload was never visible: removed at once (the CLI cleans up a
  // failed put this way), as with no window.
  if (window <= absl::ZeroDuration() || object.state != ObjectState::kCommitted) {
    FH_RETURN_IF_ERROR(QueueShardsAndRemove(txn, object.object_id, now));
    return now;
  }
  object.trashed_at = now;
  object.purge_at = now + window;
  FH_RETURN_IF_ERROR(txn.objects().Update(object));
  return *object.purge_at;
}

absl::Status TrashedObjectError(const std::string& object_id) {
  return absl::NotFoundError(absl::StrCat("object ", object_id,
                                          " is in the trash (deleted by its owner, who may "
                                          "restore it with `freehold trash restore`)"));
}

TrashBin::TrashBin(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                   CoordinatorMetrics* metrics, Logger log)
    : store_(store), clock_(clock), config_(config), metrics_(metrics), log_(std::move(log)) {}

absl::StatusOr<TrashPage> TrashBin::List(const Caller& caller, int page_size,
                                         const std::string& page_token) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts have a trash");
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
    FH_ASSIGN_OR_RETURN(records, txn.objects().ListTrashed(caller.account_id, after, size + 1));
    return absl::OkStatus();
  }));
  TrashPage page;
  const bool more = static_cast<int>(records.size()) > size;
  if (more) records.resize(size);
  for (const ObjectRecord& r : records) {
    TrashEntry e;
    e.object = SummaryOf(r, false);
    e.trashed_at = r.trashed_at.value_or(absl::UnixEpoch());
    e.purge_at = r.purge_at.value_or(absl::UnixEpoch());
    page.objects.push_back(std::move(e));
  }
  if (more && !records.empty()) page.next_page_token = records.back().object_id;
  return page;
}

absl::StatusOr<std::vector<std::string>> TrashBin::CanonicalIds(
    const std::vector<std::string>& raw) const {
  if (raw.size() > static_cast<size_t>(kMaxIds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("object_ids has ", raw.size(), " entries; at most ", kMaxIds));
  }
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (size_t i = 0; i < raw.size(); ++i) {
    FH_ASSIGN_OR_RETURN(std::string id, CanonicalUuid(raw[i], absl::StrCat("object_ids[", i, "]")));
    if (seen.insert(id).second) ids.push_back(std::move(id));
  }
  return ids;
}

absl::StatusOr<ObjectRecord> TrashBin::LoadOwnTrashed(MetadataTxn& txn, const Caller& caller,
                                                      const std::string& object_id) {
  FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, txn.objects().Get(object_id, true));
  // Another account's object (or an unknown id): the answer of an id that does not exist.
  if (!object.has_value() || !IsOwner(*object, caller)) return ObjectNotFoundError(object_id);
  if (!object->trashed()) {
    return absl::FailedPreconditionError(absl::StrCat("object ", object_id, " is not in the trash"));
  }
  return *std::move(object);
}

absl::Status TrashBin::Restore(const Caller& caller, const std::vector<std::string>& raw_ids,
                               bool keep_both) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts have a trash");
  if (raw_ids.empty()) return absl::InvalidArgumentError("object_ids is empty");
  FH_ASSIGN_OR_RETURN(const std::vector<std::string> ids, CanonicalIds(raw_ids));
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    std::map<std::string, std::string> restored_names;  // name hash -> restored id
    for (const std::string& id : ids) {
      FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnTrashed(txn, caller, id));
      if (!keep_both && !object.name_hash.empty()) {
        FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> live,
                            txn.objects().FindByNameHash(caller.account_id, object.name_hash, 1));
        if (!live.empty()) {
          return absl::AlreadyExistsError(
              absl::StrCat("cannot restore object ", id, ": its name is taken by object ",
                           live[0].object_id, " (restore with keep_both / --keep-both to keep "
                           "both, or delete or rename the other first)"));
        }
        auto [it, fresh] = restored_names.emplace(object.name_hash, id);
        if (!fresh) {
          return absl::AlreadyExistsError(
              absl::StrCat("objects ", it->second, " and ", id,
                           " have the same name; restore one of them, or both with keep_both"));
        }
      }
      // Folders (core/folders.h): no folder of the name in its parent, and inside a
      // folder no live object of the name either, keep_both or not (names are unique
      // there). A trashed object whose folder was deleted was moved to the root.
      if (!object.name_hash.empty()) {
        const absl::Status placed = CheckObjectPlacement(txn, caller.account_id, object.parent_id,
                                                         object.name_hash, "");
        if (!placed.ok()) {
          return absl::Status(placed.code(),
                              absl::StrCat("cannot restore object ", id, ": ", placed.message()));
        }
      }
      object.trashed_at.reset();
      object.purge_at.reset();
      FH_RETURN_IF_ERROR(txn.objects().Update(object));
    }
    return absl::OkStatus();
  }));
  log_.Info("objects restored from the trash",
            {{"account_id", caller.account_id}, {"objects", static_cast<int64_t>(ids.size())}});
  return absl::OkStatus();
}

absl::StatusOr<int> TrashBin::Empty(const Caller& caller, const std::vector<std::string>& raw_ids) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts have a trash");
  FH_ASSIGN_OR_RETURN(const std::vector<std::string> ids, CanonicalIds(raw_ids));
  const absl::Time now = clock_.Now();
  int purged = 0;
  if (!ids.empty()) {
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      for (const std::string& id : ids) {
        FH_ASSIGN_OR_RETURN(ObjectRecord object, LoadOwnTrashed(txn, caller, id));
        FH_RETURN_IF_ERROR(QueueShardsAndRemove(txn, object.object_id, now));
      }
      return absl::OkStatus();
    }));
    purged = static_cast<int>(ids.size());
  } else {
    // The whole trash, one transaction per batch (bounded by what is in it now: each
    // batch removes what it lists).
    for (int round = 0; round < 1000000; ++round) {
      std::vector<ObjectRecord> batch;
      FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
        FH_ASSIGN_OR_RETURN(batch, txn.objects().ListTrashed(caller.account_id, "", 100));
        return absl::OkStatus();
      }));
      if (batch.empty()) break;
      int removed = 0;
      FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
        removed = 0;
        for (const ObjectRecord& r : batch) {
          absl::StatusOr<ObjectRecord> object = LoadOwnTrashed(txn, caller, r.object_id);
          if (!object.ok()) continue;  // restored or purged meanwhile
          FH_RETURN_IF_ERROR(QueueShardsAndRemove(txn, object->object_id, now));
          ++removed;
        }
        return absl::OkStatus();
      }));
      purged += removed;
    }
  }
  CountPurged(purged);
  log_.Info("trash emptied", {{"account_id", caller.account_id}, {"objects", purged}});
  return purged;
}

absl::StatusOr<int> TrashBin::PurgeDue(int limit) {
  const absl::Time now = clock_.Now();
  std::vector<std::string> ids;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(ids, txn.objects().ListPurgeDue(now, limit));
    return absl::OkStatus();
  }));
  int purged = 0;
  for (const std::string& id : ids) {
    bool removed = false;
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      removed = false;
      FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> object, txn.objects().Get(id, true));
      // Re-check under lock: it may have been restored or emptied meanwhile.
      if (!object.has_value() || !object->trashed() || *object->purge_at > now) {
        return absl::OkStatus();
      }
      removed = true;
      return QueueShardsAndRemove(txn, id, now);
    }));
    if (removed) {
      ++purged;
      log_.Info("trash window ended; object purged", {{"object_id", id}});
    }
  }
  CountPurged(purged);
  return purged;
}

void TrashBin::CountPurged(int n) {
  if (metrics_ != nullptr && n > 0) metrics_->CountTrashPurged(n);
}

}  // namespace freehold::coordinator
