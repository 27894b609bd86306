// The placement factor of every node from its stored reputation
// (docs/ARCHITECTURE.md#10-keeping-data-alive), cached in memory for PlacementSnapshots and
// refreshed on every replica each loop tick. Thread-safe.
#pragma once

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/core/durability_metrics.h"
#include "coordinator/core/durability_store.h"

namespace freehold::coordinator {

class ReputationBook {
 public:
  // `metrics` may be null.
  ReputationBook(DurabilityStore& store, ReputationParams params, DurabilityMetrics* metrics)
      : store_(store), params_(params), metrics_(metrics) {}

  // Re-reads the stored reputations (and publishes them as metrics).
  absl::Status Refresh();

  // PlacementFactor of the node's reputation; 1 for a node never audited.
  double Factor(const std::string& node_id) const;

 private:
  DurabilityStore& store_;
  const ReputationParams params_;
  DurabilityMetrics* const metrics_;
  mutable absl::Mutex mu_;
  std::map<std::string, double> factors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::coordinator
