#include "coordinator/core/audit_scheduler.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace freehold::coordinator {

absl::Time NextAuditAt(absl::Time now, absl::Duration period, double u) {
  u = std::clamp(u, 0.0, 1.0);
  return now + period * (0.5 + 0.4 * u);
}

double RequiredAuditRate(int64_t copies, absl::Duration period) {
  const double seconds = absl::ToDoubleSeconds(period);
  if (seconds <= 0) return 0;
  return 2.0 * static_cast<double>(copies) / seconds;
}

AuditBudget BudgetFor(const AuditSchedule& schedule, absl::Duration tick) {
  const double t = absl::ToDoubleSeconds(tick);
  AuditBudget b;
  if (schedule.max_per_second > 0) {
    b.total = std::max(1, static_cast<int>(std::floor(schedule.max_per_second * t)));
  }
  if (schedule.max_per_node_per_second > 0) {
    b.per_node = std::max(1, static_cast<int>(std::floor(schedule.max_per_node_per_second * t)));
  }
  return b;
}

std::vector<int> PickDue(const std::vector<DueCopy>& due, const AuditBudget& budget) {
  std::vector<int> picked;
  std::map<std::string, int> per_node;
  for (int i = 0; i < static_cast<int>(due.size()); ++i) {
    if (static_cast<int>(picked.size()) >= budget.total) break;
    int& n = per_node[due[i].node_id];
    if (n >= budget.per_node) continue;
    ++n;
    picked.push_back(i);
  }
  return picked;
}

}  // namespace freehold::coordinator
