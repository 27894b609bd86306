// The trash window (docs/ARCHITECTURE.md#10-keeping-data-alive, "Trash").
//
// A delete moves a committed object (sharded or inline) to its owner's trash for
// --trash-window: the row, segments and shards stay (repair, audits, inventory and
// the orphan sweep keep them alive; the funding model counts the bytes as used), but
// from that moment nobody reads it: GetObject/GetObjects/public links answer
// NOT_FOUND (the owner, shared readers and public-link holders with the message "...
// is in the trash"; strangers the usual not-found answer), ListObjects and
// FindObjectsByName leave it out, UpdateHeader/SetPublicLink/DeleteObject answer
// FAILED_PRECONDITION. Restore undoes the delete (shares and public link come back
// as they were). When the window ends (PurgeDue) or on Empty the object is removed and
// its shards queued for deletion through the existing GC path (QueueShardsAndRemove:
// never before the last PUT grant issued for it expires).
//
// Name collisions on restore: the server sees only keyed name hashes. Restoring an
// object whose name hash is held by a live object of the owner answers ALREADY_EXISTS
// naming both ids, unless keep_both is set (then both exist under the same name, as
// two puts of one name already allow). Objects stored without a name hash are never
// refused. Inside a folder (core/folders.h) names are unique: restoring there when a
// live object or a folder holds the name is ALREADY_EXISTS even with keep_both; a
// trashed object whose folder was deleted meanwhile was moved to the root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/access.h"
#include "coordinator/core/config.h"
#include "coordinator/core/metrics.h"
#include "coordinator/core/model.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

// The delete path for an object the caller already checked it may delete (read under
// lock in `txn`): a committed object goes to the trash until now + `window`; with a
// zero window, or for an upload never committed, it is removed at once and its shards
// queued (QueueShardsAndRemove). Returns the purge time (now when removed at once).
// FAILED_PRECONDITION if the object is already in the trash.
absl::StatusOr<absl::Time> MoveToTrash(MetadataTxn& txn, ObjectRecord object, absl::Time now,
                                       absl::Duration window);

// The answer for reading an object in the trash (NOT_FOUND, message says so).
absl::Status TrashedObjectError(const std::string& object_id);

struct TrashEntry {
  ObjectSummary object;
  absl::Time trashed_at = absl::UnixEpoch();
  absl::Time purge_at = absl::UnixEpoch();
};

struct TrashPage {
  std::vector<TrashEntry> objects;
  std::string next_page_token;  // empty at the end
};

// Thread-safe; dependencies must outlive it. `metrics` may be null.
class TrashBin {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
  static constexpr int kMaxIds = 1000;

  TrashBin(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
           CoordinatorMetrics* metrics, Logger log);

  // The caller's trashed objects by object id. INVALID_ARGUMENT for a malformed
  // page token; PERMISSION_DENIED without an account.
  absl::StatusOr<TrashPage> List(const Caller& caller, int page_size,
                                 const std::string& page_token);

  // Restores every id (all or none, one transaction). INVALID_ARGUMENT: no ids, more
  // than kMaxIds, malformed id (naming object_ids[i]); NOT_FOUND: not the caller's
  // object; FAILED_PRECONDITION: not in the trash; ALREADY_EXISTS: its name hash is
  // taken by a live object and !keep_both (or two restored ids share one).
  absl::Status Restore(const Caller& caller, const std::vector<std::string>& object_ids,
                       bool keep_both);

  // Deletes for good now: the given ids (each must be the caller's and in the trash;
  // all or none) or, with no ids, the caller's whole trash. Errors as Restore.
  // Returns how many objects were purged.
  absl::StatusOr<int> Empty(const Caller& caller, const std::vector<std::string>& object_ids);

  // Purges objects whose window ended, at most `limit`. Returns how many.
  absl::StatusOr<int> PurgeDue(int limit = 200);

 private:
  absl::StatusOr<std::vector<std::string>> CanonicalIds(
      const std::vector<std::string>& object_ids) const;
  // The caller's trashed object, locked; NOT_FOUND / FAILED_PRECONDITION otherwise.
  absl::StatusOr<ObjectRecord> LoadOwnTrashed(MetadataTxn& txn, const Caller& caller,
                                              const std::string& object_id);
  void CountPurged(int n);

  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  CoordinatorMetrics* metrics_;
  Logger log_;
};

}  // namespace freehold::coordinator
