#include "coordinator/core/reputation.h"

namespace freehold::coordinator {

absl::Status ValidateReputationParams(const ReputationParams& p) {
  if (!(p.lambda > 0 && p.lambda < 1)) {
    return absl::InvalidArgumentError("--reputation-lambda must be in (0, 1)");
  }
  if (!(p.weight > 0 && p.weight <= 1e6)) {
    return absl::InvalidArgumentError("--reputation-weight must be in (0, 1e6]");
  }
  if (!(p.threshold >= 0 && p.threshold < 1)) {
    return absl::InvalidArgumentError("--reputation-threshold must be in [0, 1)");
  }
  return absl::OkStatus();
}

BetaScore InitialScore(const ReputationParams& p) {
  return BetaScore{p.weight / (1 - p.lambda), 0};
}

BetaScore Update(const BetaScore& s, bool success, const ReputationParams& p) {
  BetaScore next{p.lambda * s.alpha, p.lambda * s.beta};
  (success ? next.alpha : next.beta) += p.weight;
  return next;
}

NodeReputation InitialReputation(const ReputationParams& p) {
  NodeReputation r;
  r.audit = InitialScore(p);
  r.online = InitialScore(p);
  return r;
}

NodeReputation Apply(const NodeReputation& r, AuditOutcome outcome, const ReputationParams& p) {
  NodeReputation next = r;
  switch (outcome) {
    case AuditOutcome::kPassed:
      next.audit = Update(r.audit, true, p);
      next.online = Update(r.online, true, p);
      ++next.passed;
      break;
    case AuditOutcome::kFailed:
      next.audit = Update(r.audit, false, p);
      next.online = Update(r.online, true, p);
      ++next.failed;
      break;
    case AuditOutcome::kOffline:
      next.online = Update(r.online, false, p);
      ++next.offline;
      break;
    case AuditOutcome::kUnknown:
      break;
  }
  return next;
}

double PlacementFactor(double reputation, const ReputationParams& p) {
  if (reputation < p.threshold) return 0;
  return reputation > 1 ? 1 : reputation;
}

}  // namespace freehold::coordinator
