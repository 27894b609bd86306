// Node registry rows and shared conversions.
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator::pg_internal {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
int64_t Micros(const std::optional<absl::Time>& t) { return t.has_value() ? Micros(*t) : -1; }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }
std::optional<absl::Time> OptionalFromMicros(int64_t us) {
  if (us < 0) return std::nullopt;
  return FromMicros(us);
}
pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s); }
std::string BytesOf(const pqxx::field& f) {
  if (f.is_null()) return "";
  return pqxx::binarystring(f).str();
}

namespace {

constexpr const char* kNodeColumns =
    "node_id, address, region, zone, host, capacity_bytes, public_key, state, used_bytes, "
    "free_bytes, shard_count, version, ts_to_micros(registered_at), "
    "ts_to_micros(last_heartbeat), ts_to_micros(state_changed_at), "
    "COALESCE((SELECT ts_to_micros(a.approved_at) FROM node_admissions a "
    "WHERE a.node_id = nodes.node_id AND a.revoked_at IS NULL), -1)";

Node NodeFromRow(const pqxx::row& r) {
  Node n;
  n.node_id = r[0].as<std::string>();
  n.address = r[1].as<std::string>();
  n.domain.region = r[2].as<std::string>();
  n.domain.zone = r[3].as<std::string>();
  n.domain.host = r[4].as<std::string>();
  n.capacity_bytes = static_cast<uint64_t>(r[5].as<int64_t>());
  n.public_key = BytesOf(r[6]);
  if (!NodeStateFromInt(r[7].as<int>(), &n.state)) n.state = NodeState::kRetired;
  n.used_bytes = static_cast<uint64_t>(r[8].as<int64_t>());
  n.free_bytes = static_cast<uint64_t>(r[9].as<int64_t>());
  n.shard_count = static_cast<uint64_t>(r[10].as<int64_t>());
  n.version = r[11].as<std::string>();
  n.registered_at = FromMicros(r[12].as<int64_t>());
  n.last_heartbeat = FromMicros(r[13].as<int64_t>());
  n.state_changed_at = FromMicros(r[14].as<int64_t>());
  n.approved_at = OptionalFromMicros(r[15].as<int64_t>());
  return n;
}

int64_t Clamp(uint64_t v) {
  return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
}

}  // namespace

absl::StatusOr<std::optional<Node>> PgNodes::Get(const std::string& node_id, bool for_update) {
  pqxx::result r = Exec(txn_,
                        std::string("SELECT ") + kNodeColumns + " FROM nodes WHERE node_id = $1" +
                            (for_update ? " FOR UPDATE" : ""),
                        node_id);
  if (r.empty()) return std::optional<Node>();
  return std::optional<Node>(NodeFromRow(r[0]));
}

absl::StatusOr<std::vector<Node>> PgNodes::List() {
  pqxx::result r =
      Exec(txn_, std::string("SELECT ") + kNodeColumns + " FROM nodes ORDER BY node_id");
  std::vector<Node> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(NodeFromRow(row));
  return out;
}

absl::StatusOr<std::vector<Node>> PgNodes::GetMany(const std::vector<std::string>& node_ids) {
  std::vector<Node> out;
  if (node_ids.empty()) return out;
  // A text[] literal; node ids are [A-Za-z0-9._-] but quote anyway.
  std::string array = "{";
  for (size_t i = 0; i < node_ids.size(); ++i) {
    if (i > 0) array += ",";
    array += "\"";
    for (char c : node_ids[i]) {
      if (c == '"' || c == '\\') array += '\\';
      array += c;
    }
    array += "\"";
  }
  array += "}";
  pqxx::result r = Exec(
      txn_, std::string("SELECT ") + kNodeColumns + " FROM nodes WHERE node_id = ANY($1::text[])",
      array);
  for (const pqxx::row& row : r) out.push_back(NodeFromRow(row));
  return out;
}

absl::Status PgNodes::Upsert(const Node& n) {
  Exec(txn_,
       "INSERT INTO nodes (node_id, address, region, zone, host, capacity_bytes, public_key, "
       "state, used_bytes, free_bytes, shard_count, version, registered_at, last_heartbeat, "
       "state_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
       "micros_to_ts($13), micros_to_ts($14), micros_to_ts($15)) "
       "ON CONFLICT (node_id) DO UPDATE SET address = EXCLUDED.address, region = EXCLUDED.region, "
       "zone = EXCLUDED.zone, host = EXCLUDED.host, capacity_bytes = EXCLUDED.capacity_bytes, "
       "public_key = EXCLUDED.public_key, state = EXCLUDED.state, used_bytes = "
       "EXCLUDED.used_bytes, free_bytes = EXCLUDED.free_bytes, shard_count = "
       "EXCLUDED.shard_count, version = EXCLUDED.version, registered_at = EXCLUDED.registered_at, "
       "last_heartbeat = EXCLUDED.last_heartbeat, state_changed_at = EXCLUDED.state_changed_at",
       n.node_id, n.address, n.domain.region, n.domain.zone, n.domain.host, Clamp(n.capacity_bytes),
       Bytes(n.public_key), static_cast<int>(n.state), Clamp(n.used_bytes), Clamp(n.free_bytes),
       Clamp(n.shard_count), n.version, Micros(n.registered_at), Micros(n.last_heartbeat),
       Micros(n.state_changed_at));
  return absl::OkStatus();
}

constexpr const char* kAttemptColumns =
    "node_id, public_key, address, region, zone, host, capacity_bytes, reason, attempts, "
    "ts_to_micros(first_at), ts_to_micros(last_at)";

static RegistrationAttempt AttemptFromRow(const pqxx::row& r) {
  RegistrationAttempt a;
  a.node_id = r[0].as<std::string>();
  a.public_key = BytesOf(r[1]);
  a.address = r[2].as<std::string>();
  a.domain.region = r[3].as<std::string>();
  a.domain.zone = r[4].as<std::string>();
  a.domain.host = r[5].as<std::string>();
  a.capacity_bytes = static_cast<uint64_t>(r[6].as<int64_t>());
  a.reason = r[7].as<std::string>();
  a.attempts = r[8].as<int64_t>();
  a.first_at = FromMicros(r[9].as<int64_t>());
  a.last_at = FromMicros(r[10].as<int64_t>());
  return a;
}

absl::StatusOr<std::optional<NodeAdmission>> PgAdmissions::Get(const std::string& node_id,
                                                               bool for_update) {
  pqxx::result r = Exec(txn_,
                        std::string("SELECT node_id, public_key, ts_to_micros(approved_at), "
                                    "COALESCE(ts_to_micros(revoked_at), -1) FROM node_admissions "
                                    "WHERE node_id = $1") +
                            (for_update ? " FOR UPDATE" : ""),
                        node_id);
  if (r.empty()) return std::optional<NodeAdmission>();
  NodeAdmission a;
  a.node_id = r[0][0].as<std::string>();
  a.public_key = BytesOf(r[0][1]);
  a.approved_at = FromMicros(r[0][2].as<int64_t>());
  a.revoked_at = OptionalFromMicros(r[0][3].as<int64_t>());
  return std::optional<NodeAdmission>(std::move(a));
}

absl::Status PgAdmissions::Upsert(const NodeAdmission& a) {
  Exec(txn_,
       "INSERT INTO node_admissions (node_id, public_key, approved_at, revoked_at) "
       "VALUES ($1, $2, micros_to_ts($3), micros_to_ts($4)) "
       "ON CONFLICT (node_id) DO UPDATE SET public_key = EXCLUDED.public_key, "
       "approved_at = EXCLUDED.approved_at, revoked_at = EXCLUDED.revoked_at",
       a.node_id, Bytes(a.public_key), Micros(a.approved_at), Micros(a.revoked_at));
  return absl::OkStatus();
}

absl::StatusOr<bool> PgAdmissions::RecordAttempt(const RegistrationAttempt& a, int64_t max_rows) {
  // One statement: update the id's row, or insert while fewer than max_rows exist.
  pqxx::result r =
      Exec(txn_,
           "WITH updated AS (UPDATE node_registration_attempts SET public_key = $2, address = $3, "
           "region = $4, zone = $5, host = $6, capacity_bytes = $7, reason = $8, "
           "attempts = attempts + 1, last_at = micros_to_ts($9) WHERE node_id = $1 RETURNING 1) "
           "INSERT INTO node_registration_attempts (node_id, public_key, address, region, zone, "
           "host, capacity_bytes, reason, attempts, first_at, last_at) "
           "SELECT $1, $2, $3, $4, $5, $6, $7, $8, 1, micros_to_ts($9), micros_to_ts($9) "
           "WHERE NOT EXISTS (SELECT 1 FROM updated) "
           "AND (SELECT count(*) FROM node_registration_attempts) < $10 "
           "RETURNING 1",
           a.node_id, Bytes(a.public_key), a.address, a.domain.region, a.domain.zone, a.domain.host,
           Clamp(a.capacity_bytes), a.reason, Micros(a.last_at), max_rows);
  if (!r.empty()) return true;
  pqxx::result again =
      Exec(txn_, "SELECT 1 FROM node_registration_attempts WHERE node_id = $1", a.node_id);
  return !again.empty();
}

absl::StatusOr<std::optional<RegistrationAttempt>> PgAdmissions::GetAttempt(
    const std::string& node_id) {
  pqxx::result r = Exec(txn_,
                        std::string("SELECT ") + kAttemptColumns +
                            " FROM node_registration_attempts WHERE node_id = $1",
                        node_id);
  if (r.empty()) return std::optional<RegistrationAttempt>();
  return std::optional<RegistrationAttempt>(AttemptFromRow(r[0]));
}

absl::StatusOr<std::vector<RegistrationAttempt>> PgAdmissions::ListAttempts(int limit) {
  pqxx::result r = Exec(txn_,
                        std::string("SELECT ") + kAttemptColumns +
                            " FROM node_registration_attempts "
                            "ORDER BY last_at DESC, node_id LIMIT $1",
                        limit);
  std::vector<RegistrationAttempt> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(AttemptFromRow(row));
  return out;
}

absl::Status PgAdmissions::RemoveAttempt(const std::string& node_id) {
  Exec(txn_, "DELETE FROM node_registration_attempts WHERE node_id = $1", node_id);
  return absl::OkStatus();
}

}  // namespace freehold::coordinator::pg_internal
