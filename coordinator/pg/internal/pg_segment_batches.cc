// Batched segments (core/object_writer.h BeginSegments / CommitSegments): set-based
// statements over arrays, one statement per step whatever the batch size, each text
// fixed so that it is prepared once per connection (Exec).
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator::pg_internal {

std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

absl::StatusOr<std::vector<ObjectRecord>> PgObjects::LockMany(
    const std::vector<std::string>& object_ids) {
  std::vector<ObjectRecord> out;
  if (object_ids.empty()) return out;
  // ORDER BY below FOR UPDATE: rows are locked as the sort returns them.
  pqxx::result r = Exec(txn_,
                        std::string("SELECT ") + kObjectColumns + kWithoutPayload +
                            " FROM objects o WHERE o.object_id = ANY($1::uuid[]) "
                            "ORDER BY o.object_id FOR UPDATE",
                        ArrayLiteral(object_ids));
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(ObjectFromRow(row));
  return out;
}

absl::Status PgObjects::NotePutGrantsMany(const std::vector<std::string>& object_ids,
                                          absl::Time expires_at) {
  if (object_ids.empty()) return absl::OkStatus();
  Exec(txn_,
       "UPDATE objects SET put_grants_expire_at = "
       "GREATEST(put_grants_expire_at, micros_to_ts($2)) WHERE object_id = ANY($1::uuid[])",
       ArrayLiteral(object_ids), absl::ToUnixMicros(expires_at));
  return absl::OkStatus();
}

absl::Status PgSegments::PutMany(const std::vector<SegmentRecord>& segments) {
  if (segments.empty()) return absl::OkStatus();
  // Columns as arrays: segments (1-7), then shards (8-13). The segment upsert is a
  // data-modifying CTE; the shards' foreign key is checked at the end of the statement.
  std::vector<std::string> s_obj, s_seg, s_size, s_shard, s_committed, s_begun, s_at;
  std::vector<std::string> h_obj, h_seg, h_index, h_node, h_sha, h_state;
  for (const SegmentRecord& s : segments) {
    s_obj.push_back(s.object_id);
    s_seg.push_back(std::to_string(s.segment));
    s_size.push_back(std::to_string(s.segment_size_bytes));
    s_shard.push_back(std::to_string(s.shard_size_bytes));
    s_committed.push_back(s.committed ? "t" : "f");
    s_begun.push_back(std::to_string(Micros(s.begun_at)));
    s_at.push_back(std::to_string(Micros(s.committed_at)));
    for (const ShardRecord& shard : s.shards) {
      h_obj.push_back(s.object_id);
      h_seg.push_back(std::to_string(s.segment));
      h_index.push_back(std::to_string(shard.index));
      h_node.push_back(shard.node_id);
      h_sha.push_back(HexEncode(shard.sha256));
      h_state.push_back(std::to_string(static_cast<int>(shard.state)));
    }
  }
  Exec(txn_,
       "WITH seg AS (INSERT INTO segments (object_id, segment, segment_size_bytes, "
       "shard_size_bytes, committed, begun_at, committed_at) SELECT t.o, t.s, t.sz, t.sh, t.c, "
       "micros_to_ts(t.b), micros_to_ts(t.a) FROM unnest($1::uuid[], $2::integer[], "
       "$3::bigint[], $4::bigint[], $5::boolean[], $6::bigint[], $7::bigint[]) "
       "AS t(o, s, sz, sh, c, b, a) "
       "ON CONFLICT (object_id, segment) DO UPDATE SET segment_size_bytes = "
       "EXCLUDED.segment_size_bytes, shard_size_bytes = EXCLUDED.shard_size_bytes, committed = "
       "EXCLUDED.committed, begun_at = EXCLUDED.begun_at, committed_at = EXCLUDED.committed_at "
       "RETURNING 1) "
       "INSERT INTO shards (object_id, segment, shard_index, node_id, sha256, state) "
       "SELECT t.o, t.s, t.i, t.n, decode(t.h, 'hex'), t.st FROM unnest($8::uuid[], "
       "$9::integer[], $10::integer[], $11::text[], $12::text[], $13::smallint[]) "
       "AS t(o, s, i, n, h, st) "
       "ON CONFLICT (object_id, segment, shard_index) DO UPDATE SET node_id = "
       "EXCLUDED.node_id, sha256 = EXCLUDED.sha256, state = EXCLUDED.state",
       ArrayLiteral(s_obj), ArrayLiteral(s_seg), ArrayLiteral(s_size), ArrayLiteral(s_shard),
       ArrayLiteral(s_committed), ArrayLiteral(s_begun), ArrayLiteral(s_at), ArrayLiteral(h_obj),
       ArrayLiteral(h_seg), ArrayLiteral(h_index), ArrayLiteral(h_node), ArrayLiteral(h_sha),
       ArrayLiteral(h_state));
  return absl::OkStatus();
}

}  // namespace freehold::coordinator::pg_internal
