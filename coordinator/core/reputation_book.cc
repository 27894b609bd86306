#include "coordinator/core/reputation_book.h"

namespace freehold::coordinator {

absl::Status ReputationBook::Refresh() {
  absl::StatusOr<std::vector<StoredReputation>> rows = store_.Reputations();
  if (!rows.ok()) return rows.status();
  std::map<std::string, double> factors;
  for (const StoredReputation& r : *rows) {
    const double value = r.reputation.Value();
    factors[r.node_id] = PlacementFactor(value, params_);
    if (metrics_ != nullptr) metrics_->Reputation(r.node_id, value, r.suspended_at.has_value());
  }
  absl::MutexLock lock(&mu_);
  factors_ = std::move(factors);
  return absl::OkStatus();
}

double ReputationBook::Factor(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto it = factors_.find(node_id);
  return it == factors_.end() ? 1.0 : it->second;
}

}  // namespace freehold::coordinator
