#include "coordinator/pg/pg_durability_store.h"

#include <pqxx/pqxx>

#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator {
namespace {

using pg_internal::Bytes;
using pg_internal::BytesOf;
using pg_internal::FromMicros;
using pg_internal::Micros;
using pg_internal::OptionalFromMicros;

int64_t Clamp(uint64_t v) {
  return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
}

StoredReputation ReputationFromRow(const pqxx::row& r) {
  StoredReputation s;
  s.node_id = r[0].as<std::string>();
  s.reputation.audit = BetaScore{r[1].as<double>(), r[2].as<double>()};
  s.reputation.online = BetaScore{r[3].as<double>(), r[4].as<double>()};
  s.reputation.passed = r[5].as<int64_t>();
  s.reputation.failed = r[6].as<int64_t>();
  s.reputation.offline = r[7].as<int64_t>();
  s.suspended_at = OptionalFromMicros(r[8].as<int64_t>());
  return s;
}

constexpr const char* kReputationColumns =
    "node_id, audit_alpha, audit_beta, online_alpha, online_beta, audits_passed, "
    "audits_failed, audits_offline, ts_to_micros(suspended_at)";

}  // namespace

absl::StatusOr<std::vector<AuditCandidate>> PgDurabilityStore::DueAudits(absl::Time now,
                                                                         int per_node,
                                                                         int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<AuditCandidate>> {
    pqxx::result r = txn.exec_params(
        "SELECT object_id::text, segment, shard_index, node_id, sha256, shard_size_bytes, "
        "ts_to_micros(due) FROM ("
        "  SELECT s.object_id, s.segment, s.shard_index, s.node_id, s.sha256, "
        "    g.shard_size_bytes, COALESCE(a.next_audit_at, g.committed_at) AS due, "
        "    row_number() OVER (PARTITION BY s.node_id "
        "      ORDER BY COALESCE(a.next_audit_at, g.committed_at)) AS rank "
        "  FROM shards s JOIN segments g USING (object_id, segment) "
        "  JOIN nodes n ON n.node_id = s.node_id "
        "  LEFT JOIN shard_audits a ON a.object_id = s.object_id AND a.segment = s.segment "
        "    AND a.shard_index = s.shard_index AND a.node_id = s.node_id "
        "  WHERE s.state = 2 AND g.committed AND n.state IN (1, 3) "
        "    AND COALESCE(a.next_audit_at, g.committed_at) <= micros_to_ts($1)) d "
        "WHERE rank <= $2 ORDER BY due LIMIT $3",
        Micros(now), per_node, limit);
    std::vector<AuditCandidate> out;
    for (const pqxx::row& row : r) {
      AuditCandidate c;
      c.object_id = row[0].as<std::string>();
      c.segment = row[1].as<int>();
      c.index = row[2].as<int>();
      c.node_id = row[3].as<std::string>();
      c.sha256 = BytesOf(row[4]);
      c.shard_size_bytes = static_cast<uint64_t>(row[5].as<int64_t>());
      c.due = FromMicros(row[6].as<int64_t>());
      out.push_back(std::move(c));
    }
    return out;
  });
}

absl::StatusOr<int64_t> PgDurabilityStore::AuditableShards() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<int64_t> {
    return txn
        .exec(
            "SELECT count(*) FROM shards s JOIN segments g USING (object_id, segment) "
            "JOIN nodes n ON n.node_id = s.node_id "
            "WHERE s.state = 2 AND g.committed AND n.state IN (1, 3)")[0][0]
        .as<int64_t>();
  });
}

absl::Status PgDurabilityStore::RecordAudit(const AuditCandidate& shard, absl::Time at,
                                            absl::Time next) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    // The segment may be gone meanwhile (deleted): then nothing is recorded.
    txn.exec_params(
        "INSERT INTO shard_audits (object_id, segment, shard_index, node_id, last_audit_at, "
        "next_audit_at) SELECT $1::uuid, $2, $3, $4, micros_to_ts($5), micros_to_ts($6) "
        "WHERE EXISTS (SELECT 1 FROM segments WHERE object_id = $1::uuid AND segment = $2) "
        "ON CONFLICT (object_id, segment, shard_index, node_id) DO UPDATE SET "
        "last_audit_at = EXCLUDED.last_audit_at, next_audit_at = EXCLUDED.next_audit_at",
        shard.object_id, shard.segment, shard.index, shard.node_id, Micros(at), Micros(next));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<AuditChallenge>> PgDurabilityStore::TakeChallenge(
    const std::string& object_id, int segment, int index) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<std::optional<AuditChallenge>> {
    pqxx::result r = txn.exec_params(
        "DELETE FROM audit_challenges WHERE id = (SELECT id FROM audit_challenges "
        "WHERE object_id = $1::uuid AND segment = $2 AND shard_index = $3 "
        "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING challenge_key, keyed_hash",
        object_id, segment, index);
    if (r.empty()) return std::optional<AuditChallenge>();
    return std::optional<AuditChallenge>(AuditChallenge{BytesOf(r[0][0]), BytesOf(r[0][1])});
  });
}

absl::Status PgDurabilityStore::AddChallenges(const std::string& object_id, int segment,
                                              int index,
                                              const std::vector<AuditChallenge>& challenges) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    for (const AuditChallenge& c : challenges) {
      txn.exec_params(
          "INSERT INTO audit_challenges (object_id, segment, shard_index, challenge_key, "
          "keyed_hash) SELECT $1::uuid, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM segments "
          "WHERE object_id = $1::uuid AND segment = $2)",
          object_id, segment, index, Bytes(c.key), Bytes(c.keyed_hash));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<StoredReputation> PgDurabilityStore::ApplyAudit(const std::string& node_id,
                                                              AuditOutcome outcome,
                                                              const ReputationParams& params,
                                                              absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<StoredReputation> {
    pqxx::result r = txn.exec_params(std::string("SELECT ") + kReputationColumns +
                                         " FROM node_reputation WHERE node_id = $1 FOR UPDATE",
                                     node_id);
    StoredReputation s;
    s.node_id = node_id;
    s.reputation = InitialReputation(params);
    if (!r.empty()) s = ReputationFromRow(r[0]);
    s.reputation = Apply(s.reputation, outcome, params);
    if (s.reputation.Value() < params.threshold) {
      if (!s.suspended_at.has_value()) s.suspended_at = now;
    } else {
      s.suspended_at.reset();
    }
    const NodeReputation& n = s.reputation;
    txn.exec_params(
        "INSERT INTO node_reputation (node_id, audit_alpha, audit_beta, online_alpha, "
        "online_beta, audits_passed, audits_failed, audits_offline, suspended_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, micros_to_ts($9), micros_to_ts($10)) "
        "ON CONFLICT (node_id) DO UPDATE SET audit_alpha = EXCLUDED.audit_alpha, "
        "audit_beta = EXCLUDED.audit_beta, online_alpha = EXCLUDED.online_alpha, "
        "online_beta = EXCLUDED.online_beta, audits_passed = EXCLUDED.audits_passed, "
        "audits_failed = EXCLUDED.audits_failed, audits_offline = EXCLUDED.audits_offline, "
        "suspended_at = EXCLUDED.suspended_at, updated_at = EXCLUDED.updated_at",
        node_id, n.audit.alpha, n.audit.beta, n.online.alpha, n.online.beta,
        static_cast<int64_t>(n.passed), static_cast<int64_t>(n.failed),
        static_cast<int64_t>(n.offline), Micros(s.suspended_at), Micros(now));
    return s;
  });
}

absl::StatusOr<std::vector<StoredReputation>> PgDurabilityStore::Reputations() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<StoredReputation>> {
    std::vector<StoredReputation> out;
    for (const pqxx::row& r : txn.exec(std::string("SELECT ") + kReputationColumns +
                                       " FROM node_reputation ORDER BY node_id")) {
      out.push_back(ReputationFromRow(r));
    }
    return out;
  });
}

absl::StatusOr<std::vector<PlacedShard>> PgDurabilityStore::ShardsOn(const std::string& node_id,
                                                                     const PlacedShard& after,
                                                                     int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<PlacedShard>> {
    const std::string start =
        after.object_id.empty() ? "00000000-0000-0000-0000-000000000000" : after.object_id;
    const int seg = after.object_id.empty() ? -1 : after.segment;
    const int idx = after.object_id.empty() ? -1 : after.index;
    pqxx::result r = txn.exec_params(
        "SELECT s.object_id::text, s.segment, s.shard_index, g.shard_size_bytes "
        "FROM shards s JOIN segments g USING (object_id, segment) "
        "WHERE s.node_id = $1 AND s.state = 2 AND g.committed "
        "AND (s.object_id, s.segment, s.shard_index) > ($2::uuid, $3, $4) "
        "ORDER BY s.object_id, s.segment, s.shard_index LIMIT $5",
        node_id, start, seg, idx, limit);
    std::vector<PlacedShard> out;
    for (const pqxx::row& row : r) {
      out.push_back(PlacedShard{row[0].as<std::string>(), row[1].as<int>(), row[2].as<int>(),
                                static_cast<uint64_t>(row[3].as<int64_t>())});
    }
    return out;
  });
}

absl::StatusOr<std::vector<PlacedShard>> PgDurabilityStore::ExpiredPendingOn(
    const std::string& node_id, absl::Time now, int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<PlacedShard>> {
    pqxx::result r = txn.exec_params(
        "SELECT s.object_id::text, s.segment, s.shard_index, g.shard_size_bytes "
        "FROM shards s JOIN segments g USING (object_id, segment) "
        "JOIN objects o ON o.object_id = s.object_id "
        "WHERE s.node_id = $1 AND s.state = $2 AND NOT g.committed AND o.state = $3 "
        "AND COALESCE(o.put_grants_expire_at, '-infinity'::timestamptz) <= micros_to_ts($4) "
        "ORDER BY s.object_id, s.segment, s.shard_index LIMIT $5",
        node_id, static_cast<int>(ShardState::kPending), static_cast<int>(ObjectState::kUploading),
        Micros(now), limit);
    std::vector<PlacedShard> out;
    for (const pqxx::row& row : r) {
      out.push_back(PlacedShard{row[0].as<std::string>(), row[1].as<int>(), row[2].as<int>(),
                                static_cast<uint64_t>(row[3].as<int64_t>())});
    }
    return out;
  });
}

absl::StatusOr<std::vector<SegmentSpread>> PgDurabilityStore::SegmentsAfter(
    const std::string& after_object_id, int after_segment, int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<SegmentSpread>> {
    const std::string start = after_object_id.empty() ? "00000000-0000-0000-0000-000000000000"
                                                      : after_object_id;
    const int seg = after_object_id.empty() ? -1 : after_segment;
    pqxx::result r = txn.exec_params(
        "WITH g AS (SELECT object_id, segment, shard_size_bytes FROM segments "
        "  WHERE committed AND (object_id, segment) > ($1::uuid, $2) "
        "  ORDER BY object_id, segment LIMIT $3) "
        "SELECT g.object_id::text, g.segment, g.shard_size_bytes, s.shard_index, s.node_id, "
        "s.state FROM g JOIN shards s USING (object_id, segment) "
        "ORDER BY g.object_id, g.segment, s.shard_index",
        start, seg, limit);
    std::vector<SegmentSpread> out;
    for (const pqxx::row& row : r) {
      const std::string object_id = row[0].as<std::string>();
      const int segment = row[1].as<int>();
      if (out.empty() || out.back().object_id != object_id || out.back().segment != segment) {
        out.push_back(SegmentSpread{object_id, segment,
                                    static_cast<uint64_t>(row[2].as<int64_t>()), {}, true});
      }
      SegmentSpread& s = out.back();
      const int index = row[3].as<int>();
      if (index != static_cast<int>(s.node_ids.size())) s.all_healthy = false;  // a gap
      s.node_ids.push_back(row[4].as<std::string>());
      if (row[5].as<int>() != 2) s.all_healthy = false;  // 2 = HEALTHY
    }
    return out;
  });
}

absl::StatusOr<NodeLoad> PgDurabilityStore::LoadOf(const std::string& node_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<NodeLoad> {
    pqxx::result r = txn.exec_params(
        "SELECT count(*), COALESCE(sum(g.shard_size_bytes), 0)::bigint, "
        "(SELECT count(*) FROM shard_deletions WHERE node_id = $1) FROM shards s "
        "JOIN segments g USING (object_id, segment) WHERE s.node_id = $1",
        node_id);
    return NodeLoad{static_cast<uint64_t>(r[0][0].as<int64_t>()),
                    static_cast<uint64_t>(r[0][1].as<int64_t>()),
                    static_cast<uint64_t>(r[0][2].as<int64_t>())};
  });
}

absl::StatusOr<std::map<std::string, uint64_t>> PgDurabilityStore::StoredBytesPerNode() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::map<std::string, uint64_t>> {
    std::map<std::string, uint64_t> out;
    for (const pqxx::row& r :
         txn.exec("SELECT s.node_id, sum(g.shard_size_bytes)::bigint FROM shards s "
                  "JOIN segments g USING (object_id, segment) WHERE s.state = 2 AND g.committed "
                  "GROUP BY s.node_id")) {
      out[r[0].as<std::string>()] = static_cast<uint64_t>(r[1].as<int64_t>());
    }
    return out;
  });
}

absl::Status PgDurabilityStore::StartDrain(const std::string& node_id, absl::Time at,
                                           const NodeLoad& load, const std::string& reason,
                                           absl::Time restart_before) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    txn.exec_params(
        "INSERT INTO node_drains (node_id, started_at, initial_shards, initial_bytes, reason) "
        "VALUES ($1, micros_to_ts($2), $3, $4, $5) ON CONFLICT (node_id) DO UPDATE SET "
        "started_at = EXCLUDED.started_at, initial_shards = EXCLUDED.initial_shards, "
        "initial_bytes = EXCLUDED.initial_bytes, moved_shards = 0, moved_bytes = 0, "
        "finished_at = NULL, reason = EXCLUDED.reason WHERE node_drains.finished_at IS NOT NULL "
        "OR node_drains.started_at < micros_to_ts($6)",
        node_id, Micros(at), Clamp(load.shards), Clamp(load.bytes), reason,
        Micros(restart_before));
    return absl::OkStatus();
  });
}

absl::Status PgDurabilityStore::AddDrainProgress(const std::string& node_id, uint64_t shards,
                                                 uint64_t bytes) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    txn.exec_params(
        "UPDATE node_drains SET moved_shards = moved_shards + $2, moved_bytes = moved_bytes + $3 "
        "WHERE node_id = $1",
        node_id, Clamp(shards), Clamp(bytes));
    return absl::OkStatus();
  });
}

absl::Status PgDurabilityStore::FinishDrain(const std::string& node_id, absl::Time at) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    txn.exec_params(
        "UPDATE node_drains SET finished_at = micros_to_ts($2) WHERE node_id = $1 "
        "AND finished_at IS NULL",
        node_id, Micros(at));
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> PgDurabilityStore::RetireIfDrained(const std::string& node_id,
                                                          absl::Time now,
                                                          absl::Duration silent_after) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<bool> {
    // The row lock conflicts with the key-share lock every insert or move of a shard
    // onto the node takes (shards.node_id REFERENCES nodes): those in flight finish
    // first, and the counts below (a statement after the lock) see them.
    pqxx::result n = txn.exec_params(
        "SELECT state, ts_to_micros(last_heartbeat) FROM nodes WHERE node_id = $1 FOR UPDATE",
        node_id);
    if (n.empty() || n[0][0].as<int>() != static_cast<int>(NodeState::kDraining)) return false;
    const bool silent = now - FromMicros(n[0][1].as<int64_t>()) > silent_after;
    pqxx::row c = txn.exec_params1(
        "SELECT (SELECT count(*) FROM shards WHERE node_id = $1), "
        "(SELECT count(*) FROM shard_deletions WHERE node_id = $1)",
        node_id);
    if (c[0].as<int64_t>() > 0) return false;
    if (c[1].as<int64_t>() > 0 && !silent) return false;
    txn.exec_params(
        "UPDATE nodes SET state = $2, state_changed_at = micros_to_ts($3) WHERE node_id = $1",
        node_id, static_cast<int>(NodeState::kRetired), Micros(now));
    txn.exec_params(
        "UPDATE node_drains SET finished_at = micros_to_ts($2) WHERE node_id = $1 "
        "AND finished_at IS NULL",
        node_id, Micros(now));
    return true;
  });
}

absl::StatusOr<std::vector<DrainProgress>> PgDurabilityStore::Drains() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<DrainProgress>> {
    std::vector<DrainProgress> out;
    for (const pqxx::row& r : txn.exec(
             "SELECT node_id, ts_to_micros(started_at), initial_shards, initial_bytes, "
             "moved_shards, moved_bytes, ts_to_micros(finished_at), reason FROM node_drains "
             "ORDER BY node_id")) {
      DrainProgress d;
      d.node_id = r[0].as<std::string>();
      d.started_at = FromMicros(r[1].as<int64_t>());
      d.initial_shards = static_cast<uint64_t>(r[2].as<int64_t>());
      d.initial_bytes = static_cast<uint64_t>(r[3].as<int64_t>());
      d.moved_shards = static_cast<uint64_t>(r[4].as<int64_t>());
      d.moved_bytes = static_cast<uint64_t>(r[5].as<int64_t>());
      d.finished_at = OptionalFromMicros(r[6].as<int64_t>());
      d.reason = r[7].as<std::string>();
      out.push_back(std::move(d));
    }
    return out;
  });
}

}  // namespace freehold::coordinator
