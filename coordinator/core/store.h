// Persistence seam of the coordinator: the core runs its rules inside a
// transaction of a MetadataStore and reads/writes through small repositories.
// The PostgreSQL implementation lives in coordinator/pg.
//
// Every method returns UNAVAILABLE when the database cannot be reached (safe
// to retry) and INTERNAL for unexpected database errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coordinator/core/model.h"

namespace freehold::coordinator {

class NodeRepository {
 public:
  virtual ~NodeRepository() = default;
  // nullopt if unknown. `for_update` locks the row until the transaction ends.
  virtual absl::StatusOr<std::optional<Node>> Get(const std::string& node_id, bool for_update) = 0;
  // All nodes, ordered by node_id.
  virtual absl::StatusOr<std::vector<Node>> List() = 0;
  // The nodes among `node_ids` that exist (any order, no lock).
  virtual absl::StatusOr<std::vector<Node>> GetMany(const std::vector<std::string>& node_ids) = 0;
  // Inserts or replaces every column of the node.
  virtual absl::Status Upsert(const Node& node) = 0;
};

// Operator approvals of nodes and refused registration attempts.
class AdmissionRepository {
 public:
  virtual ~AdmissionRepository() = default;
  // nullopt if the id was never approved. `for_update` locks the row.
  virtual absl::StatusOr<std::optional<NodeAdmission>> Get(const std::string& node_id,
                                                           bool for_update) = 0;
  // Inserts or replaces every column.
  virtual absl::Status Upsert(const NodeAdmission& admission) = 0;
  // Records a refused attempt: a new row (attempts 1) unless `max_rows` rows exist
  // already (then nothing is stored and false is returned), or for a known id the
  // row's fields replaced, attempts incremented and first_at kept.
  virtual absl::StatusOr<bool> RecordAttempt(const RegistrationAttempt& attempt,
                                             int64_t max_rows) = 0;
  virtual absl::StatusOr<std::optional<RegistrationAttempt>> GetAttempt(
      const std::string& node_id) = 0;
  // At most `limit` attempts, the most recent first.
  virtual absl::StatusOr<std::vector<RegistrationAttempt>> ListAttempts(int limit) = 0;
  virtual absl::Status RemoveAttempt(const std::string& node_id) = 0;
};

class ObjectRepository {
 public:
  virtual ~ObjectRepository() = default;
  virtual absl::StatusOr<std::optional<ObjectRecord>> Get(const std::string& object_id,
                                                          bool for_update) = 0;
  // The objects of `object_ids` that exist (any order, no row locks), in one read.
  virtual absl::StatusOr<std::vector<ObjectRecord>> GetMany(
      const std::vector<std::string>& object_ids) = 0;
  virtual absl::Status Insert(const ObjectRecord& object) = 0;
  // Replaces the mutable columns: age header, state, public link, committed_at,
  // segment_count, trashed_at, purge_at, encrypted metadata, share record, header version.
  // A change of trashed_at clears the trashed_with_account mark.
  virtual absl::Status Update(const ObjectRecord& object) = 0;
  // Removes the object with its segments, shards and shares.
  virtual absl::Status Remove(const std::string& object_id) = 0;
  // Records that PUT grants for the object's shards were issued valid until
  // `expires_at` (the latest of all such calls is kept).
  virtual absl::Status NotePutGrants(const std::string& object_id, absl::Time expires_at) = 0;
  // Batched segments (core/object_writer.h): the objects of `object_ids` that exist
  // (canonical UUIDs, no repeats), without inline payloads, each row locked until the
  // transaction ends, locked in object_id order (so two batches cannot deadlock) and
  // returned in that order; one statement.
  virtual absl::StatusOr<std::vector<ObjectRecord>> LockMany(
      const std::vector<std::string>& object_ids) = 0;
  // NotePutGrants for every object of `object_ids`, in one statement.
  virtual absl::Status NotePutGrantsMany(const std::vector<std::string>& object_ids,
                                         absl::Time expires_at) = 0;
  // The latest expiry NotePutGrants recorded; InfinitePast if none (or no object).
  virtual absl::StatusOr<absl::Time> PutGrantsExpireAt(const std::string& object_id) = 0;

  // Committed objects not in the trash owned by or shared with `account_id`, object_id >
  // `after_object_id` ("" = from the start), ordered by object_id, at most `limit`.
  virtual absl::StatusOr<std::vector<ObjectRecord>> ListVisible(const std::string& account_id,
                                                                const std::string& after_object_id,
                                                                int limit) = 0;
  // Committed objects not in the trash owned by `account_id` whose name_hash is
  // `name_hash` (indexed), ordered by object_id, at most `limit`; without inline payloads.
  virtual absl::StatusOr<std::vector<ObjectRecord>> FindByNameHash(const std::string& account_id,
                                                                   const std::string& name_hash,
                                                                   int limit) = 0;
  // Ids of objects owned by `account_id` (any state), at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> ListOwnedBy(const std::string& account_id,
                                                               int limit) = 0;
  // Objects in the trash of `account_id`, object_id > `after_object_id` ("" = from
  // the start), ordered by object_id, at most `limit`; without inline payloads.
  virtual absl::StatusOr<std::vector<ObjectRecord>> ListTrashed(const std::string& account_id,
                                                                const std::string& after_object_id,
                                                                int limit) = 0;
  // Ids of trashed objects whose purge_at <= now, earliest first, at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> ListPurgeDue(absl::Time now, int limit) = 0;
  // The abandoned-account trash (core/account_trash.h). Moves at most `limit` committed
  // objects of `account_id` not in the trash into it (trashed_at = now, purge_at =
  // purge_at, marked trashed_with_account); returns how many.
  virtual absl::StatusOr<int> TrashLiveOwnedBy(const std::string& account_id, absl::Time now,
                                               absl::Time purge_at, int limit) = 0;
  // Restores at most `limit` objects of `account_id` marked trashed_with_account (shares
  // and links as they were); one whose folder now holds a live object or a folder of
  // its name goes to the root. Returns how many.
  virtual absl::StatusOr<int> RestoreTrashedWithAccount(const std::string& account_id,
                                                        int limit) = 0;
  // Ids of uploading objects whose upload_expires_at <= now, at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> ListExpiredUploads(absl::Time now,
                                                                      int limit) = 0;

  virtual absl::StatusOr<std::vector<std::string>> Shares(const std::string& object_id) = 0;
  virtual absl::StatusOr<bool> IsSharedWith(const std::string& object_id,
                                            const std::string& account_id) = 0;
  virtual absl::Status ReplaceShares(const std::string& object_id,
                                     const std::vector<std::string>& account_ids) = 0;
  // Drops `account_id` from every share list.
  virtual absl::Status RemoveSharesWith(const std::string& account_id) = 0;
};

// The folder tree (docs/ARCHITECTURE.md#folders). `parent_id` "" is the root.
// Name lookups use the unique (account, parent, name_hash) indexes.
class FolderRepository {
 public:
  virtual ~FolderRepository() = default;
  // Serializes name changes in one (account, parent) until the transaction ends
  // (an advisory lock): a folder and an object cannot take the same name at once.
  virtual absl::Status LockNamespace(const std::string& account_id,
                                     const std::string& parent_id) = 0;
  // Serializes folder moves of one account until the transaction ends (no two
  // concurrent moves can make a cycle). Taken before any LockNamespace.
  virtual absl::Status LockTree(const std::string& account_id) = 0;
  virtual absl::StatusOr<std::optional<FolderRecord>> Get(const std::string& folder_id,
                                                          bool for_update) = 0;
  // ALREADY_EXISTS when the account has a folder of that name hash in that parent.
  virtual absl::Status Insert(const FolderRecord& folder) = 0;
  virtual absl::StatusOr<std::optional<FolderRecord>> FindFolder(const std::string& account_id,
                                                                 const std::string& parent_id,
                                                                 const std::string& name_hash) = 0;
  // Objects of the account in `parent_id` with that name hash, ordered by id, at
  // most `limit`, without inline payloads; committed ones only unless `any_state`.
  virtual absl::StatusOr<std::vector<ObjectRecord>> FindObjects(const std::string& account_id,
                                                                const std::string& parent_id,
                                                                const std::string& name_hash,
                                                                bool any_state, int limit) = 0;
  // Children by id after `after_id` ("" = from the start), at most `limit`
  // (objects: committed, without inline payloads).
  virtual absl::StatusOr<std::vector<FolderRecord>> ListFolders(const std::string& account_id,
                                                                const std::string& parent_id,
                                                                const std::string& after_id,
                                                                int limit) = 0;
  virtual absl::StatusOr<std::vector<ObjectRecord>> ListObjects(const std::string& account_id,
                                                                const std::string& parent_id,
                                                                const std::string& after_id,
                                                                int limit) = 0;
  // True if the folder holds a folder or an object in any state.
  virtual absl::StatusOr<bool> HasChildren(const std::string& folder_id) = 0;
  // True if `ancestor_id` is `folder_id` or one of its ancestors.
  virtual absl::StatusOr<bool> IsAncestorOrSelf(const std::string& ancestor_id,
                                                const std::string& folder_id) = 0;
  // Sets parent, name hash and (unless empty) metadata. ALREADY_EXISTS on a
  // name taken in the new parent.
  virtual absl::Status MoveFolder(const std::string& folder_id, const std::string& parent_id,
                                  const std::string& name_hash,
                                  const std::string& encrypted_metadata) = 0;
  virtual absl::Status MoveObject(const std::string& object_id, const std::string& parent_id,
                                  const std::string& name_hash,
                                  const std::string& encrypted_metadata) = 0;
  // FAILED_PRECONDITION if it still has children.
  virtual absl::Status Remove(const std::string& folder_id) = 0;
  // Every folder of the account (its objects must be gone).
  virtual absl::Status RemoveAllOf(const std::string& account_id) = 0;

  // Folder sharing (core/folder_sharing.h).
  // True if `folder_id` or one of its ancestors is shared with `account_id`
  // ("" = nobody) or has its public link on.
  virtual absl::StatusOr<bool> SubtreeReadable(const std::string& folder_id,
                                               const std::string& account_id) = 0;
  // The accounts the folder itself is shared with, by id.
  virtual absl::StatusOr<std::vector<std::string>> Shares(const std::string& folder_id) = 0;
  // Replaces header, record, link flag and share list; increments the version
  // and returns it.
  virtual absl::StatusOr<uint64_t> UpdateSharing(const std::string& folder_id,
                                                 const std::string& age_header,
                                                 const std::string& share_record,
                                                 bool public_link,
                                                 const std::vector<std::string>& account_ids) = 0;
  // Sets a folder's header (unless empty) and entry wrap (unless empty).
  virtual absl::Status SetFolderKey(const std::string& folder_id, const std::string& age_header,
                                    const std::string& wrap) = 0;
  virtual absl::Status SetObjectWrap(const std::string& object_id, const std::string& wrap) = 0;
};

class SegmentRepository {
 public:
  virtual ~SegmentRepository() = default;
  // The segment with its shards (index order), nullopt if never begun.
  virtual absl::StatusOr<std::optional<SegmentRecord>> Get(const std::string& object_id,
                                                           int segment) = 0;
  // All segments of an object in segment order, with their shards.
  virtual absl::StatusOr<std::vector<SegmentRecord>> List(const std::string& object_id) = 0;
  // At most `limit` segments from segment `first` on, in segment order, with their
  // shards (a page of a manifest).
  virtual absl::StatusOr<std::vector<SegmentRecord>> ListRange(const std::string& object_id,
                                                               int first, int limit) = 0;
  // Inserts the segment and its shards, or replaces them if it exists.
  virtual absl::Status Put(const SegmentRecord& segment) = 0;
  // The segments of `keys` (object id, segment) that were begun, with their shards,
  // ordered by object id and segment; one statement.
  virtual absl::StatusOr<std::vector<SegmentRecord>> GetMany(
      const std::vector<std::pair<std::string, int>>& keys) = 0;
  // Put of every segment (no (object, segment) twice), in one statement.
  virtual absl::Status PutMany(const std::vector<SegmentRecord>& segments) = 0;
  // Shard placements of a segment's shard moves so far: nodes the shard at `index`
  // was taken away from.
  virtual absl::StatusOr<std::vector<std::string>> PreviousNodes(const std::string& object_id,
                                                                 int segment, int index) = 0;
  virtual absl::Status RecordMove(const std::string& object_id, int segment, int index,
                                  const std::string& from_node_id, const std::string& to_node_id,
                                  const std::string& reason, absl::Time at) = 0;
  // Marks the shards of `node_id` whose keys are in `shard_keys` MISSING.
  // Returns how many changed.
  virtual absl::StatusOr<int> MarkMissing(const std::string& node_id,
                                          const std::vector<std::string>& shard_keys) = 0;
};

class DeletionQueue {
 public:
  virtual ~DeletionQueue() = default;
  // Adds (node, key) due at `due`; a duplicate is ignored.
  virtual absl::Status Enqueue(const std::string& node_id, const std::string& shard_key,
                               absl::Time due) = 0;
  // Tasks with next_attempt_at <= now, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<DeletionTask>> Due(absl::Time now, int limit) = 0;
  virtual absl::Status Complete(int64_t task_id) = 0;
  // Drops a queued deletion of (node, key), if any: the manifest places that shard on
  // that node again (a move back onto a node the shard left).
  virtual absl::Status Cancel(const std::string& node_id, const std::string& shard_key) = 0;
  virtual absl::Status Reschedule(int64_t task_id, absl::Time next_attempt,
                                  const std::string& error) = 0;
  virtual absl::StatusOr<int64_t> Size() = 0;
};

class StatsRepository {
 public:
  virtual ~StatsRepository() = default;
  virtual absl::StatusOr<StoredTotals> Totals() = 0;
  // Committed segments with fewer than k+m healthy shards on up/draining nodes,
  // fewest healthy first (relative to k), at most `limit`.
  virtual absl::StatusOr<std::vector<SegmentHealth>> UnhealthySegments(int limit) = 0;
  // How many committed segments have fewer than k+m healthy shards on up/draining
  // nodes (degraded), fewer than k there but at least k counting down nodes
  // (unavailable), and fewer than k anywhere (lost). Both count as degraded.
  virtual absl::StatusOr<SegmentHealthCounts> HealthCounts() = 0;
  // Payload bytes of segments committed at or after `since` (objects in any
  // state), summed per owner account, heaviest first (ties by account id), at
  // most `limit` accounts.
  virtual absl::StatusOr<std::vector<AccountBytes>> RecentWrites(absl::Time since, int limit) = 0;
};

class CursorRepository {
 public:
  virtual ~CursorRepository() = default;
  // 0 if the consumer never stored a cursor.
  virtual absl::StatusOr<int64_t> Get(const std::string& consumer) = 0;
  virtual absl::Status Set(const std::string& consumer, int64_t sequence) = 0;
};

// The repositories of one transaction. Valid only inside the callback.
class MetadataTxn {
 public:
  virtual ~MetadataTxn() = default;
  virtual NodeRepository& nodes() = 0;
  virtual AdmissionRepository& admissions() = 0;
  virtual ObjectRepository& objects() = 0;
  virtual FolderRepository& folders() = 0;
  virtual SegmentRepository& segments() = 0;
  virtual DeletionQueue& deletions() = 0;
  virtual StatsRepository& stats() = 0;
  virtual CursorRepository& cursors() = 0;
};

// Thread-safe. `body` runs in one transaction (READ COMMITTED; rows read with
// for_update are locked); returning non-OK rolls back and is returned as is.
// `body` may be run again after a serialization failure or deadlock, so its
// effects outside the transaction must be safe to repeat.
class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  virtual absl::Status Transact(absl::FunctionRef<absl::Status(MetadataTxn&)> body) = 0;
  virtual absl::Status Read(absl::FunctionRef<absl::Status(MetadataTxn&)> body) = 0;
};

// Leader election among coordinator replicas (background loops run only on the
// leader). Thread-safe.
class LeaderElector {
 public:
  virtual ~LeaderElector() = default;
  // Tries to become or stay leader; true while this process holds leadership.
  // Re-checks that the lock is still held (a lost connection loses it).
  virtual bool CheckLeadership() = 0;
};

}  // namespace freehold::coordinator
