#include "coordinator/core/audit_worker.h"

#include <sodium.h>

#include <map>

#include "common/secure_compare.h"
#include "common/status.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {
namespace {

const char* OutcomeName(AuditOutcome o) {
  switch (o) {
    case AuditOutcome::kPassed:
      return "passed";
    case AuditOutcome::kFailed:
      return "failed";
    case AuditOutcome::kOffline:
      return "offline";
    case AuditOutcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string KeyedHash(const std::string& key, const std::string& bytes) {
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return out;
}

double Uniform() { return randombytes_uniform(1u << 30) / static_cast<double>(1u << 30); }

}  // namespace

AuditOutcome ClassifyAuditError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:            // the node does not have it
    case absl::StatusCode::kDataLoss:            // corrupt (its scrubber or our hash check)
    case absl::StatusCode::kFailedPrecondition:  // other bytes under the key
    case absl::StatusCode::kOutOfRange:
      return AuditOutcome::kFailed;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return AuditOutcome::kOffline;
    default:
      return AuditOutcome::kUnknown;
  }
}

AuditWorker::AuditWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
                         const CoordinatorConfig& config, const GrantSigner& grants,
                         ShardTransfer& transfer, NodeRegistry& registry,
                         DurabilityMetrics* metrics, Logger log)
    : store_(store),
      durability_(durability),
      clock_(clock),
      config_(config),
      grants_(grants),
      transfer_(transfer),
      registry_(registry),
      metrics_(metrics),
      log_(std::move(log)) {}

absl::StatusOr<AuditReport> AuditWorker::RunOnce(absl::Duration tick) {
  const DurabilitySettings& d = config_.durability;
  const absl::Time now = clock_.Now();
  const AuditBudget budget = BudgetFor(d.audit, tick);
  // Fetch more than the budget to see (a lower bound of) the backlog.
  FH_ASSIGN_OR_RETURN(std::vector<AuditCandidate> due,
                      durability_.DueAudits(now, budget.per_node * 4, budget.total * 4));
  std::vector<Node> node_list;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(node_list, txn.nodes().List());
    return absl::OkStatus();
  }));
  std::map<std::string, Node> nodes;
  for (Node& n : node_list) nodes[n.node_id] = std::move(n);
  // Copies on nodes that are down now wait: their absence is repair's business.
  std::vector<AuditCandidate> live;
  std::vector<DueCopy> copies;
  for (AuditCandidate& c : due) {
    auto it = nodes.find(c.node_id);
    if (it == nodes.end()) continue;
    const NodeState state = EffectiveState(it->second, now, config_.node_down_after);
    if (state != NodeState::kUp && state != NodeState::kDraining) continue;
    copies.push_back(DueCopy{c.node_id, c.due});
    live.push_back(std::move(c));
  }
  AuditReport report;
  const std::vector<int> picked = PickDue(copies, budget);
  report.backlog = static_cast<int>(live.size() - picked.size());
  for (int i : picked) {
    absl::StatusOr<AuditOutcome> outcome = AuditOne(live[i], nodes[live[i].node_id]);
    if (!outcome.ok()) {
      log_.Warn("audit could not be recorded", {{"node_id", live[i].node_id},
                                                {"error", outcome.status()}});
      continue;
    }
    switch (*outcome) {
      case AuditOutcome::kPassed:
        ++report.passed;
        break;
      case AuditOutcome::kFailed:
        ++report.failed;
        break;
      case AuditOutcome::kOffline:
        ++report.offline;
        break;
      case AuditOutcome::kUnknown:
        ++report.unknown;
        break;
    }
  }
  if (metrics_ != nullptr) {
    absl::StatusOr<int64_t> total = durability_.AuditableShards();
    metrics_->AuditBacklog(report.backlog,
                           total.ok() ? RequiredAuditRate(*total, d.audit.period) : 0);
  }
  FH_RETURN_IF_ERROR(DrainSuspendedNodes(report));
  return report;
}

absl::StatusOr<AuditOutcome> AuditWorker::AuditOne(const AuditCandidate& shard, const Node& node) {
  const DurabilitySettings& d = config_.durability;
  const absl::Time now = clock_.Now();
  const std::string key = ShardKey(shard.object_id, shard.segment, shard.index);
  GrantSpec grant;
  grant.shard_key = key;
  grant.node_id = shard.node_id;
  grant.size_bytes = shard.shard_size_bytes;
  grant.expires_at = now + config_.grant_ttl;
  grant.object_id = shard.object_id;
  grant.segment = shard.segment;
  grant.shard_index = shard.index;

  AuditOutcome outcome = AuditOutcome::kUnknown;
  absl::Status error;
  FH_ASSIGN_OR_RETURN(std::optional<AuditChallenge> challenge,
                      durability_.TakeChallenge(shard.object_id, shard.segment, shard.index));
  if (challenge.has_value()) {
    grant.operation = GrantOperation::kAudit;
    absl::StatusOr<AuditAnswer> answer =
        transfer_.Audit(node.address, grants_.Sign(grant), challenge->key);
    if (answer.ok()) {
      outcome = answer->size_bytes == shard.shard_size_bytes &&
                        SecureEquals(answer->keyed_hash, challenge->keyed_hash)
                    ? AuditOutcome::kPassed
                    : AuditOutcome::kFailed;
      if (outcome == AuditOutcome::kFailed) error = absl::DataLossError("wrong keyed hash");
    } else {
      error = answer.status();
      outcome = ClassifyAuditError(error);
    }
  } else {
    // No challenge left: read the whole shard, check it against the recorded SHA-256 and
    // derive the next challenges from its bytes.
    grant.operation = GrantOperation::kGet;
    absl::StatusOr<std::string> bytes =
        transfer_.Read(node.address, grants_.Sign(grant), shard.shard_size_bytes, shard.sha256);
    if (bytes.ok()) {
      outcome = AuditOutcome::kPassed;
      std::vector<AuditChallenge> fresh(d.audit_challenges_per_read);
      for (AuditChallenge& c : fresh) {
        c.key.resize(32);
        randombytes_buf(c.key.data(), c.key.size());
        c.keyed_hash = KeyedHash(c.key, *bytes);
      }
      FH_RETURN_IF_ERROR(
          durability_.AddChallenges(shard.object_id, shard.segment, shard.index, fresh));
    } else {
      error = bytes.status();
      outcome = ClassifyAuditError(error);
    }
  }

  if (outcome == AuditOutcome::kFailed) {
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      return txn.segments().MarkMissing(shard.node_id, {key}).status();
    }));
    log_.Warn("audit failed: shard marked missing",
              {{"node_id", shard.node_id}, {"shard_key", key}, {"error", error}});
  } else if (outcome != AuditOutcome::kPassed) {
    log_.Info("audit without answer",
              {{"node_id", shard.node_id}, {"outcome", OutcomeName(outcome)}, {"error", error}});
  }
  // A copy that answered is due again within the period; one that did not is retried
  // sooner (a tenth of the period, at most an hour).
  const absl::Time next =
      outcome == AuditOutcome::kPassed || outcome == AuditOutcome::kFailed
          ? NextAuditAt(now, d.audit.period, Uniform())
          : now + std::min(d.audit.period / 10, absl::Hours(1));
  FH_RETURN_IF_ERROR(durability_.RecordAudit(shard, now, next));
  FH_ASSIGN_OR_RETURN(StoredReputation rep,
                      durability_.ApplyAudit(shard.node_id, outcome, d.reputation, now));
  if (metrics_ != nullptr) {
    metrics_->Audit(shard.node_id, OutcomeName(outcome));
    metrics_->Reputation(shard.node_id, rep.reputation.Value(), rep.suspended_at.has_value());
  }
  return outcome;
}

absl::Status AuditWorker::DrainSuspendedNodes(AuditReport& report) {
  const absl::Time now = clock_.Now();
  FH_ASSIGN_OR_RETURN(std::vector<StoredReputation> reps, durability_.Reputations());
  for (const StoredReputation& r : reps) {
    if (!r.suspended_at.has_value() ||
        now < *r.suspended_at + config_.durability.suspended_drain_after) {
      continue;
    }
    std::optional<Node> node;
    FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(node, txn.nodes().Get(r.node_id, false));
      return absl::OkStatus();
    }));
    if (!node.has_value() || node->state != NodeState::kUp) continue;  // stored state
    FH_RETURN_IF_ERROR(registry_.SetState(r.node_id, NodeState::kDraining));
    FH_ASSIGN_OR_RETURN(NodeLoad load, durability_.LoadOf(r.node_id));
    FH_RETURN_IF_ERROR(durability_.StartDrain(r.node_id, now, load, "reputation", now));
    ++report.drains_started;
    log_.Warn("node drained for low reputation",
              {{"node_id", r.node_id},
               {"reputation", r.reputation.Value()},
               {"audits_failed", static_cast<int64_t>(r.reputation.failed)}});
  }
  return absl::OkStatus();
}

}  // namespace freehold::coordinator
