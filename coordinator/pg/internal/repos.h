// PostgreSQL repositories of one transaction (schema "coordinator"; the pool's
// search_path must include it). Each class wraps the pqxx transaction of a
// PgMetadataStore callback; exceptions escape to PgPool::Run, which maps them.
#pragma once

#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "coordinator/core/store.h"

namespace freehold::coordinator::pg_internal {

// Microseconds since the epoch (-1 for nullopt), the form SQL micros_to_ts takes.
int64_t Micros(absl::Time t);
int64_t Micros(const std::optional<absl::Time>& t);
absl::Time FromMicros(int64_t us);
std::optional<absl::Time> OptionalFromMicros(int64_t us);
pqxx::binarystring Bytes(const std::string& s);
std::string BytesOf(const pqxx::field& f);

// Runs `sql` as a named prepared statement of this connection (named after a hash
// of the text, prepared on first use), so PostgreSQL parses and plans it once per
// connection instead of on every call. `sql` must be one of a bounded set of texts
// (values travel as parameters, never inside the text). Same parameters and errors
// as txn.exec_params.
template <typename... Args>
pqxx::result Exec(pqxx::transaction_base& txn, const std::string& sql, Args&&... args) {
  const std::string name = "fh_" + std::to_string(std::hash<std::string>{}(sql));
  txn.conn().prepare(name, sql);  // a no-op once declared with this text
  return txn.exec_prepared(name, std::forward<Args>(args)...);
}

// A PostgreSQL array literal ("{...}") of `items`, each double-quoted and
// escaped, for a $n::type[] parameter (uuid[], text[], integer[], ...).
std::string ArrayLiteral(const std::vector<std::string>& items);

// The select list of an object row ("o" is the objects table), followed by
// kWithPayload (the inline payload) or kWithoutPayload (listings); ObjectFromRow
// reads such a row.
extern const char* const kObjectColumns;
extern const char* const kWithPayload;
extern const char* const kWithoutPayload;
ObjectRecord ObjectFromRow(const pqxx::row& r);

class PgNodes : public NodeRepository {
 public:
  explicit PgNodes(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::StatusOr<std::optional<Node>> Get(const std::string& node_id, bool for_update) override;
  absl::StatusOr<std::vector<Node>> List() override;
  absl::StatusOr<std::vector<Node>> GetMany(const std::vector<std::string>& node_ids) override;
  absl::Status Upsert(const Node& node) override;

 private:
  pqxx::transaction_base& txn_;
};

class PgAdmissions : public AdmissionRepository {
 public:
  explicit PgAdmissions(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::StatusOr<std::optional<NodeAdmission>> Get(const std::string& node_id,
                                                   bool for_update) override;
  absl::Status Upsert(const NodeAdmission& admission) override;
  absl::StatusOr<bool> RecordAttempt(const RegistrationAttempt& attempt, int64_t max_rows) override;
  absl::StatusOr<std::optional<RegistrationAttempt>> GetAttempt(
      const std::string& node_id) override;
  absl::StatusOr<std::vector<RegistrationAttempt>> ListAttempts(int limit) override;
  absl::Status RemoveAttempt(const std::string& node_id) override;

 private:
  pqxx::transaction_base& txn_;
};

class PgObjects : public ObjectRepository {
 public:
  explicit PgObjects(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::StatusOr<std::optional<ObjectRecord>> Get(const std::string& object_id,
                                                  bool for_update) override;
  absl::StatusOr<std::vector<ObjectRecord>> GetMany(
      const std::vector<std::string>& object_ids) override;
  absl::Status Insert(const ObjectRecord& object) override;
  absl::Status Update(const ObjectRecord& object) override;
  absl::Status Remove(const std::string& object_id) override;
  absl::Status NotePutGrants(const std::string& object_id, absl::Time expires_at) override;
  // pg_segment_batches.cc
  absl::StatusOr<std::vector<ObjectRecord>> LockMany(
      const std::vector<std::string>& object_ids) override;
  absl::Status NotePutGrantsMany(const std::vector<std::string>& object_ids,
                                 absl::Time expires_at) override;
  absl::StatusOr<absl::Time> PutGrantsExpireAt(const std::string& object_id) override;
  absl::StatusOr<std::vector<ObjectRecord>> ListVisible(const std::string& account_id,
                                                        const std::string& after_object_id,
                                                        int limit) override;
  absl::StatusOr<std::vector<ObjectRecord>> FindByNameHash(const std::string& account_id,
                                                           const std::string& name_hash,
                                                           int limit) override;
  absl::StatusOr<std::vector<std::string>> ListOwnedBy(const std::string& account_id,
                                                       int limit) override;
  absl::StatusOr<std::vector<ObjectRecord>> ListTrashed(const std::string& account_id,
                                                        const std::string& after_object_id,
                                                        int limit) override;
  absl::StatusOr<std::vector<std::string>> ListPurgeDue(absl::Time now, int limit) override;
  absl::StatusOr<int> TrashLiveOwnedBy(const std::string& account_id, absl::Time now,
                                       absl::Time purge_at, int limit) override;
  absl::StatusOr<int> RestoreTrashedWithAccount(const std::string& account_id, int limit) override;
  absl::StatusOr<std::vector<std::string>> ListExpiredUploads(absl::Time now, int limit) override;
  absl::StatusOr<std::vector<std::string>> Shares(const std::string& object_id) override;
  absl::StatusOr<bool> IsSharedWith(const std::string& object_id,
                                    const std::string& account_id) override;
  absl::Status ReplaceShares(const std::string& object_id,
                             const std::vector<std::string>& account_ids) override;
  absl::Status RemoveSharesWith(const std::string& account_id) override;

 private:
  pqxx::transaction_base& txn_;
};

class PgFolders : public FolderRepository {
 public:
  explicit PgFolders(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::Status LockNamespace(const std::string& account_id, const std::string& parent_id) override;
  absl::Status LockTree(const std::string& account_id) override;
  absl::StatusOr<std::optional<FolderRecord>> Get(const std::string& folder_id,
                                                  bool for_update) override;
  absl::Status Insert(const FolderRecord& folder) override;
  absl::StatusOr<std::optional<FolderRecord>> FindFolder(const std::string& account_id,
                                                         const std::string& parent_id,
                                                         const std::string& name_hash) override;
  absl::StatusOr<std::vector<ObjectRecord>> FindObjects(const std::string& account_id,
                                                        const std::string& parent_id,
                                                        const std::string& name_hash,
                                                        bool any_state, int limit) override;
  absl::StatusOr<std::vector<FolderRecord>> ListFolders(const std::string& account_id,
                                                        const std::string& parent_id,
                                                        const std::string& after_id,
                                                        int limit) override;
  absl::StatusOr<std::vector<ObjectRecord>> ListObjects(const std::string& account_id,
                                                        const std::string& parent_id,
                                                        const std::string& after_id,
                                                        int limit) override;
  absl::StatusOr<bool> HasChildren(const std::string& folder_id) override;
  absl::StatusOr<bool> IsAncestorOrSelf(const std::string& ancestor_id,
                                        const std::string& folder_id) override;
  absl::Status MoveFolder(const std::string& folder_id, const std::string& parent_id,
                          const std::string& name_hash,
                          const std::string& encrypted_metadata) override;
  absl::Status MoveObject(const std::string& object_id, const std::string& parent_id,
                          const std::string& name_hash,
                          const std::string& encrypted_metadata) override;
  absl::Status Remove(const std::string& folder_id) override;
  absl::Status RemoveAllOf(const std::string& account_id) override;
  absl::StatusOr<bool> SubtreeReadable(const std::string& folder_id,
                                       const std::string& account_id) override;
  absl::StatusOr<std::vector<std::string>> Shares(const std::string& folder_id) override;
  absl::StatusOr<uint64_t> UpdateSharing(const std::string& folder_id,
                                         const std::string& age_header,
                                         const std::string& share_record, bool public_link,
                                         const std::vector<std::string>& account_ids) override;
  absl::Status SetFolderKey(const std::string& folder_id, const std::string& age_header,
                            const std::string& wrap) override;
  absl::Status SetObjectWrap(const std::string& object_id, const std::string& wrap) override;

 private:
  pqxx::transaction_base& txn_;
};

class PgSegments : public SegmentRepository {
 public:
  explicit PgSegments(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::StatusOr<std::optional<SegmentRecord>> Get(const std::string& object_id,
                                                   int segment) override;
  absl::StatusOr<std::vector<SegmentRecord>> List(const std::string& object_id) override;
  absl::StatusOr<std::vector<SegmentRecord>> ListRange(const std::string& object_id, int first,
                                                       int limit) override;
  absl::Status Put(const SegmentRecord& segment) override;
  // pg_segment_batches.cc
  absl::StatusOr<std::vector<SegmentRecord>> GetMany(
      const std::vector<std::pair<std::string, int>>& keys) override;
  absl::Status PutMany(const std::vector<SegmentRecord>& segments) override;
  absl::StatusOr<std::vector<std::string>> PreviousNodes(const std::string& object_id, int segment,
                                                         int index) override;
  absl::Status RecordMove(const std::string& object_id, int segment, int index,
                          const std::string& from_node_id, const std::string& to_node_id,
                          const std::string& reason, absl::Time at) override;
  absl::StatusOr<int> MarkMissing(const std::string& node_id,
                                  const std::vector<std::string>& shard_keys) override;

 private:
  pqxx::transaction_base& txn_;
};

class PgDeletions : public DeletionQueue {
 public:
  explicit PgDeletions(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::Status Enqueue(const std::string& node_id, const std::string& shard_key,
                       absl::Time due) override;
  absl::StatusOr<std::vector<DeletionTask>> Due(absl::Time now, int limit) override;
  absl::Status Complete(int64_t task_id) override;
  absl::Status Cancel(const std::string& node_id, const std::string& shard_key) override;
  absl::Status Reschedule(int64_t task_id, absl::Time next_attempt,
                          const std::string& error) override;
  absl::StatusOr<int64_t> Size() override;

 private:
  pqxx::transaction_base& txn_;
};

class PgStats : public StatsRepository {
 public:
  explicit PgStats(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::StatusOr<StoredTotals> Totals() override;
  absl::StatusOr<std::vector<SegmentHealth>> UnhealthySegments(int limit) override;
  absl::StatusOr<SegmentHealthCounts> HealthCounts() override;
  absl::StatusOr<std::vector<AccountBytes>> RecentWrites(absl::Time since, int limit) override;

 private:
  pqxx::transaction_base& txn_;
};

class PgCursors : public CursorRepository {
 public:
  explicit PgCursors(pqxx::transaction_base& txn) : txn_(txn) {}
  absl::StatusOr<int64_t> Get(const std::string& consumer) override;
  absl::Status Set(const std::string& consumer, int64_t sequence) override;

 private:
  pqxx::transaction_base& txn_;
};

}  // namespace freehold::coordinator::pg_internal
