// Audits (docs/ARCHITECTURE.md#10-keeping-data-alive). Each tick the leader audits the due
// shard copies (audit_scheduler.h). An audit uses a stored challenge when one is left:
// AuditShard with its random key, the answer compared with the keyed BLAKE2b-256 the
// coordinator computed earlier from the shard's bytes. With none left it reads the whole
// shard (GetShard), which must have the SHA-256 recorded at commit, and computes
// --audit-challenges-per-read new challenges from those bytes. A wrong answer, a shard the
// node does not have or reports corrupt fails the audit and marks the shard MISSING
// (repair rebuilds it); an unreachable node counts against its online score. Results
// update the node's reputation (reputation.h); a node below the threshold is suspended
// from new placements at once and set DRAINING after --suspended-drain-after.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/audit_scheduler.h"
#include "coordinator/core/config.h"
#include "coordinator/core/durability_metrics.h"
#include "coordinator/core/durability_store.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/shard_transfer.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct AuditReport {
  int passed = 0;
  int failed = 0;
  int offline = 0;
  int unknown = 0;
  int backlog = 0;         // due copies left for later ticks (a lower bound)
  int drains_started = 0;  // suspended nodes set DRAINING
};

// Outcome of an audit call that did not answer (status not OK).
AuditOutcome ClassifyAuditError(const absl::Status& status);

class AuditWorker {
 public:
  // `metrics` may be null.
  AuditWorker(MetadataStore& store, DurabilityStore& durability, Clock& clock,
              const CoordinatorConfig& config, const GrantSigner& grants, ShardTransfer& transfer,
              NodeRegistry& registry, DurabilityMetrics* metrics, Logger log);

  // One tick of length `tick`.
  absl::StatusOr<AuditReport> RunOnce(absl::Duration tick);

  // Audits one shard copy now and applies the result.
  absl::StatusOr<AuditOutcome> AuditOne(const AuditCandidate& shard, const Node& node);

 private:
  absl::Status DrainSuspendedNodes(AuditReport& report);

  MetadataStore& store_;
  DurabilityStore& durability_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  const GrantSigner& grants_;
  ShardTransfer& transfer_;
  NodeRegistry& registry_;
  DurabilityMetrics* const metrics_;
  Logger log_;
};

}  // namespace freehold::coordinator
