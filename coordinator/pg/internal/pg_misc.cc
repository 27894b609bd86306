// Deletion queue, statistics and consumer cursors.
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator::pg_internal {
namespace {

constexpr const char* kSegmentHealthCte =
    "WITH h AS (SELECT s.object_id, s.segment, o.data_shards AS k, o.parity_shards AS m, "
    "count(*) FILTER (WHERE sh.state = 2 AND n.state IN (1, 3)) AS healthy, "
    "count(*) FILTER (WHERE sh.state = 2 AND n.state IN (1, 2, 3)) AS existing "
    "FROM objects o JOIN segments s ON s.object_id = o.object_id "
    "JOIN shards sh ON sh.object_id = s.object_id AND sh.segment = s.segment "
    "JOIN nodes n ON n.node_id = sh.node_id "
    "WHERE o.state = 2 AND s.committed "
    "GROUP BY s.object_id, s.segment, o.data_shards, o.parity_shards) ";

}  // namespace

absl::Status PgDeletions::Enqueue(const std::string& node_id, const std::string& shard_key,
                                  absl::Time due) {
  Exec(txn_,
       "INSERT INTO shard_deletions (node_id, shard_key, enqueued_at, next_attempt_at) "
       "VALUES ($1, $2, now(), micros_to_ts($3)) ON CONFLICT (node_id, shard_key) DO NOTHING",
       node_id, shard_key, Micros(due));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DeletionTask>> PgDeletions::Due(absl::Time now, int limit) {
  pqxx::result r =
      Exec(txn_,
           "SELECT id, node_id, shard_key, attempts FROM shard_deletions "
           "WHERE next_attempt_at <= micros_to_ts($1) ORDER BY next_attempt_at, id LIMIT $2",
           Micros(now), limit);
  std::vector<DeletionTask> out;
  for (const pqxx::row& row : r) {
    DeletionTask t;
    t.id = row[0].as<int64_t>();
    t.node_id = row[1].as<std::string>();
    t.shard_key = row[2].as<std::string>();
    t.attempts = row[3].as<int>();
    out.push_back(std::move(t));
  }
  return out;
}

absl::Status PgDeletions::Complete(int64_t task_id) {
  Exec(txn_, "DELETE FROM shard_deletions WHERE id = $1", task_id);
  return absl::OkStatus();
}

absl::Status PgDeletions::Cancel(const std::string& node_id, const std::string& shard_key) {
  Exec(txn_, "DELETE FROM shard_deletions WHERE node_id = $1 AND shard_key = $2", node_id,
       shard_key);
  return absl::OkStatus();
}

absl::Status PgDeletions::Reschedule(int64_t task_id, absl::Time next_attempt,
                                     const std::string& error) {
  Exec(txn_,
       "UPDATE shard_deletions SET attempts = attempts + 1, next_attempt_at = micros_to_ts($2), "
       "last_error = left($3, 500) WHERE id = $1",
       task_id, Micros(next_attempt), error);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PgDeletions::Size() {
  return Exec(txn_, "SELECT count(*) FROM shard_deletions")[0][0].as<int64_t>();
}

absl::StatusOr<StoredTotals> PgStats::Totals() {
  pqxx::row r = txn_.exec1(
      "SELECT (SELECT count(*) FROM objects WHERE state = 2), "
      "(SELECT COALESCE(sum(size_bytes), 0)::bigint FROM objects WHERE state = 2), "
      "(SELECT count(*) FROM segments s JOIN objects o ON o.object_id = s.object_id "
      " WHERE o.state = 2), "
      "(SELECT COALESCE(sum(s.shard_size_bytes * (o.data_shards + o.parity_shards)), 0)::bigint "
      " FROM segments s JOIN objects o ON o.object_id = s.object_id WHERE o.state = 2) + "
      // Inline objects: their payload once (PostgreSQL replicates it).
      "(SELECT COALESCE(sum(size_bytes), 0)::bigint FROM objects "
      " WHERE state = 2 AND inline_payload IS NOT NULL), "
      "(SELECT count(*) FROM objects WHERE state = 2 AND trashed_at IS NOT NULL), "
      "(SELECT COALESCE(sum(size_bytes), 0)::bigint FROM objects "
      " WHERE state = 2 AND trashed_at IS NOT NULL)");
  StoredTotals t;
  t.objects = static_cast<uint64_t>(r[0].as<int64_t>());
  t.logical_bytes = static_cast<uint64_t>(r[1].as<int64_t>());
  t.segments = static_cast<uint64_t>(r[2].as<int64_t>());
  t.raw_bytes = static_cast<uint64_t>(r[3].as<int64_t>());
  t.trash_objects = static_cast<uint64_t>(r[4].as<int64_t>());
  t.trash_bytes = static_cast<uint64_t>(r[5].as<int64_t>());
  return t;
}

absl::StatusOr<std::vector<SegmentHealth>> PgStats::UnhealthySegments(int limit) {
  pqxx::result r = Exec(
      txn_,
      std::string(kSegmentHealthCte) +
          "SELECT object_id::text, segment, k, m, healthy, existing FROM h WHERE healthy < k + m "
          "ORDER BY healthy - k, object_id, segment LIMIT $1",
      limit);
  std::vector<SegmentHealth> out;
  for (const pqxx::row& row : r) {
    SegmentHealth s;
    s.object_id = row[0].as<std::string>();
    s.segment = row[1].as<int>();
    s.data_shards = row[2].as<int>();
    s.parity_shards = row[3].as<int>();
    s.healthy_shards = row[4].as<int>();
    s.existing_shards = row[5].as<int>();
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<SegmentHealthCounts> PgStats::HealthCounts() {
  pqxx::row r = txn_.exec1(std::string(kSegmentHealthCte) +
                           "SELECT count(*) FILTER (WHERE healthy < k + m), "
                           "count(*) FILTER (WHERE existing < k), "
                           "count(*) FILTER (WHERE healthy < k AND existing >= k) FROM h");
  SegmentHealthCounts c;
  c.degraded = static_cast<uint64_t>(r[0].as<int64_t>());
  c.lost = static_cast<uint64_t>(r[1].as<int64_t>());
  c.unavailable = static_cast<uint64_t>(r[2].as<int64_t>());
  return c;
}

absl::StatusOr<std::vector<AccountBytes>> PgStats::RecentWrites(absl::Time since, int limit) {
  pqxx::result r = Exec(txn_,
                        "SELECT account, sum(b)::bigint AS bytes FROM ("
                        " SELECT o.owner_account_id::text AS account, s.segment_size_bytes AS b "
                        " FROM segments s JOIN objects o ON o.object_id = s.object_id "
                        " WHERE s.committed AND s.committed_at >= micros_to_ts($1) "
                        " UNION ALL "  // inline objects count like segments
                        " SELECT owner_account_id::text, size_bytes FROM objects "
                        " WHERE inline_payload IS NOT NULL AND committed_at >= micros_to_ts($1)"
                        ") w GROUP BY account ORDER BY bytes DESC, 1 LIMIT $2",
                        Micros(since), limit);
  std::vector<AccountBytes> out;
  for (const pqxx::row& row : r) {
    out.push_back(
        AccountBytes{row[0].as<std::string>(), static_cast<uint64_t>(row[1].as<int64_t>())});
  }
  return out;
}

absl::StatusOr<int64_t> PgCursors::Get(const std::string& consumer) {
  pqxx::result r =
      Exec(txn_, "SELECT last_sequence FROM consumer_cursors WHERE consumer = $1", consumer);
  if (r.empty()) return int64_t{0};
  return r[0][0].as<int64_t>();
}

absl::Status PgCursors::Set(const std::string& consumer, int64_t sequence) {
  Exec(txn_,
       "INSERT INTO consumer_cursors (consumer, last_sequence) VALUES ($1, $2) "
       "ON CONFLICT (consumer) DO UPDATE SET last_sequence = EXCLUDED.last_sequence",
       consumer, sequence);
  return absl::OkStatus();
}

}  // namespace freehold::coordinator::pg_internal
