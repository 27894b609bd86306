// Node reputation from audit history (docs/ARCHITECTURE.md#10-keeping-data-alive), after
// Storj's beta-distribution scoring: every audit result updates a pair (alpha, beta) that
// forgets old results with a factor lambda,
//   success: alpha' = lambda*alpha + w,   beta' = lambda*beta
//   failure: alpha' = lambda*alpha,       beta' = lambda*beta + w
// and the score is alpha / (alpha + beta). The audit score counts answers (right hash vs.
// wrong hash or shard not there); the online score counts whether the node could be
// reached for an audit at all. reputation = audit score * online score. A new node starts
// at alpha = w / (1 - lambda) (a full window of successes), beta = 0: reputation 1, and
// the first failures cost most where history is short. Pure.
#pragma once

#include "absl/status/status.h"

namespace freehold::coordinator {

struct ReputationParams {
  double lambda = 0.95;      // forgetting factor in (0, 1)
  double weight = 1.0;       // w > 0
  double threshold = 0.6;    // reputation below it: suspended, then drained
};

// OK or INVALID_ARGUMENT naming the flag.
absl::Status ValidateReputationParams(const ReputationParams& p);

struct BetaScore {
  double alpha = 0;
  double beta = 0;
  double Value() const { return alpha + beta > 0 ? alpha / (alpha + beta) : 1.0; }
};

// The starting pair: alpha = w / (1 - lambda), beta = 0.
BetaScore InitialScore(const ReputationParams& p);
// One result applied.
BetaScore Update(const BetaScore& s, bool success, const ReputationParams& p);

enum class AuditOutcome {
  kPassed,   // the keyed hash (or the whole shard) matched
  kFailed,   // wrong hash or size, or the node said the shard is not there / corrupt
  kOffline,  // the node could not be reached
  kUnknown,  // any other error (ours or the node's): no score change
};

struct NodeReputation {
  BetaScore audit;
  BetaScore online;
  long long passed = 0;
  long long failed = 0;
  long long offline = 0;

  double Value() const { return audit.Value() * online.Value(); }
};

NodeReputation InitialReputation(const ReputationParams& p);
// Applies one audit outcome: passed/failed update the audit score and count as online;
// offline updates the online score only; unknown changes nothing.
NodeReputation Apply(const NodeReputation& r, AuditOutcome outcome, const ReputationParams& p);

// The factor a node's placement weight is multiplied with: its reputation, or 0 below
// the threshold (suspended from new placements).
double PlacementFactor(double reputation, const ReputationParams& p);

}  // namespace freehold::coordinator
