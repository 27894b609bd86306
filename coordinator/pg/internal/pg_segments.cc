// Segment and shard rows, shard moves.
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "coordinator/core/ids.h"
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator::pg_internal {
namespace {

constexpr const char* kSegmentQuery =
    "SELECT s.object_id::text, s.segment, s.segment_size_bytes, s.shard_size_bytes, "
    "s.committed, ts_to_micros(s.begun_at), ts_to_micros(s.committed_at), sh.shard_index, "
    "sh.node_id, sh.sha256, sh.state FROM segments s LEFT JOIN shards sh "
    "ON sh.object_id = s.object_id AND sh.segment = s.segment ";

// Rows ordered by (object,) segment, shard_index -> records.
std::vector<SegmentRecord> SegmentsFromRows(const pqxx::result& r) {
  std::vector<SegmentRecord> out;
  for (const pqxx::row& row : r) {
    const int segment = row[1].as<int>();
    if (out.empty() || out.back().segment != segment ||
        out.back().object_id != row[0].as<std::string>()) {
      SegmentRecord s;
      s.object_id = row[0].as<std::string>();
      s.segment = segment;
      s.segment_size_bytes = static_cast<uint64_t>(row[2].as<int64_t>());
      s.shard_size_bytes = static_cast<uint64_t>(row[3].as<int64_t>());
      s.committed = row[4].as<bool>();
      s.begun_at = FromMicros(row[5].as<int64_t>());
      s.committed_at = OptionalFromMicros(row[6].as<int64_t>());
      out.push_back(std::move(s));
    }
    if (row[7].is_null()) continue;
    ShardRecord shard;
    shard.index = row[7].as<int>();
    shard.node_id = row[8].as<std::string>();
    shard.sha256 = BytesOf(row[9]);
    const int state = row[10].as<int>();
    shard.state =
        (state >= 1 && state <= 4) ? static_cast<ShardState>(state) : ShardState::kMissing;
    out.back().shards.push_back(std::move(shard));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::optional<SegmentRecord>> PgSegments::Get(const std::string& object_id,
                                                             int segment) {
  std::vector<SegmentRecord> found = SegmentsFromRows(
      Exec(txn_,
           std::string(kSegmentQuery) +
               "WHERE s.object_id = $1::uuid AND s.segment = $2 ORDER BY sh.shard_index",
           object_id, segment));
  if (found.empty()) return std::optional<SegmentRecord>();
  return std::optional<SegmentRecord>(std::move(found.front()));
}

absl::StatusOr<std::vector<SegmentRecord>> PgSegments::GetMany(
    const std::vector<std::pair<std::string, int>>& keys) {
  if (keys.empty()) return std::vector<SegmentRecord>();
  std::vector<std::string> ids, segments;
  for (const auto& [object_id, segment] : keys) {
    ids.push_back(object_id);
    segments.push_back(std::to_string(segment));
  }
  // Driven by the pairs: one primary-key lookup each, whatever the table's size.
  std::string sql(kSegmentQuery);
  const std::string from = "FROM segments s ";
  sql.replace(sql.find(from), from.size(),
              "FROM unnest($1::uuid[], $2::integer[]) AS k(oid, seg) JOIN segments s "
              "ON s.object_id = k.oid AND s.segment = k.seg ");
  sql += "ORDER BY s.object_id, s.segment, sh.shard_index";
  return SegmentsFromRows(Exec(txn_, sql, ArrayLiteral(ids), ArrayLiteral(segments)));
}

absl::StatusOr<std::vector<SegmentRecord>> PgSegments::List(const std::string& object_id) {
  return SegmentsFromRows(
      Exec(txn_,
           std::string(kSegmentQuery) +
               "WHERE s.object_id = $1::uuid ORDER BY s.segment, sh.shard_index",
           object_id));
}

absl::StatusOr<std::vector<SegmentRecord>> PgSegments::ListRange(const std::string& object_id,
                                                                 int first, int limit) {
  return SegmentsFromRows(txn_.exec_params(
      std::string(kSegmentQuery) +
          "WHERE s.object_id = $1::uuid AND s.segment >= $2::integer "
          "AND s.segment < $2::bigint + $3::bigint "
          "ORDER BY s.segment, sh.shard_index",
      object_id, first, limit));
}

absl::Status PgSegments::Put(const SegmentRecord& s) {
  // One statement: the segment upsert runs as a data-modifying CTE (foreign
  // keys are checked at the end of the statement). Every parameter travels as
  // text, bytea as hex.
  std::vector<std::string> params = {s.object_id,
                                     std::to_string(s.segment),
                                     std::to_string(s.segment_size_bytes),
                                     std::to_string(s.shard_size_bytes),
                                     s.committed ? "true" : "false",
                                     std::to_string(Micros(s.begun_at)),
                                     std::to_string(Micros(s.committed_at))};
  std::string sql =
      "WITH seg AS (INSERT INTO segments (object_id, segment, segment_size_bytes, "
      "shard_size_bytes, committed, begun_at, committed_at) VALUES ($1::uuid, $2::integer, "
      "$3::bigint, $4::bigint, $5::boolean, micros_to_ts($6::bigint), micros_to_ts($7::bigint)) "
      "ON CONFLICT (object_id, segment) DO UPDATE SET segment_size_bytes = "
      "EXCLUDED.segment_size_bytes, shard_size_bytes = EXCLUDED.shard_size_bytes, committed = "
      "EXCLUDED.committed, begun_at = EXCLUDED.begun_at, committed_at = EXCLUDED.committed_at "
      "RETURNING 1) ";
  if (s.shards.empty()) {
    sql += "SELECT count(*) FROM seg";
    Exec(txn_, sql, pqxx::prepare::make_dynamic_params(params));
    return absl::OkStatus();
  }
  sql += "INSERT INTO shards (object_id, segment, shard_index, node_id, sha256, state) VALUES ";
  for (size_t i = 0; i < s.shards.size(); ++i) {
    const ShardRecord& shard = s.shards[i];
    const size_t p = params.size();
    absl::StrAppend(&sql, i == 0 ? "" : ", ", "($1::uuid, $2::integer, $", p + 1, "::integer, $",
                    p + 2, ", decode($", p + 3, ", 'hex'), $", p + 4, "::smallint)");
    params.push_back(std::to_string(shard.index));
    params.push_back(shard.node_id);
    params.push_back(HexEncode(shard.sha256));
    params.push_back(std::to_string(static_cast<int>(shard.state)));
  }
  absl::StrAppend(&sql,
                  " ON CONFLICT (object_id, segment, shard_index) DO UPDATE SET node_id = "
                  "EXCLUDED.node_id, sha256 = EXCLUDED.sha256, state = EXCLUDED.state");
  Exec(txn_, sql, pqxx::prepare::make_dynamic_params(params));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PgSegments::PreviousNodes(const std::string& object_id,
                                                                   int segment, int index) {
  pqxx::result r =
      Exec(txn_,
           "SELECT DISTINCT from_node_id FROM shard_moves WHERE object_id = $1::uuid AND "
           "segment = $2 AND shard_index = $3",
           object_id, segment, index);
  std::vector<std::string> out;
  for (const pqxx::row& row : r) out.push_back(row[0].as<std::string>());
  return out;
}

absl::Status PgSegments::RecordMove(const std::string& object_id, int segment, int index,
                                    const std::string& from_node_id, const std::string& to_node_id,
                                    const std::string& reason, absl::Time at) {
  Exec(txn_,
       "INSERT INTO shard_moves (object_id, segment, shard_index, from_node_id, to_node_id, "
       "reason, moved_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, micros_to_ts($7))",
       object_id, segment, index, from_node_id, to_node_id, reason, Micros(at));
  return absl::OkStatus();
}

absl::StatusOr<int> PgSegments::MarkMissing(const std::string& node_id,
                                            const std::vector<std::string>& shard_keys) {
  int changed = 0;
  for (const std::string& key : shard_keys) {
    absl::StatusOr<ParsedShardKey> parsed = ParseShardKey(key);
    if (!parsed.ok()) continue;  // not a key this coordinator made
    pqxx::result r =
        Exec(txn_,
             "UPDATE shards SET state = 3 WHERE object_id = $1::uuid AND segment = $2 AND "
             "shard_index = $3 AND node_id = $4 AND state = 2",
             parsed->object_id, parsed->segment, parsed->index, node_id);
    changed += static_cast<int>(r.affected_rows());
  }
  return changed;
}

}  // namespace freehold::coordinator::pg_internal
