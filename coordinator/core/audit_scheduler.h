// When shard copies are audited (docs/ARCHITECTURE.md#10-keeping-data-alive). A shard copy
// is first due when its segment is committed; after each audit it is due again after
// period * (1/2 + 2u/5), u uniform in [0, 1) (so a node cannot tell which shard comes
// next; the last tenth of the period is slack for a backlog). Every loop tick the
// coordinator audits the due copies, earliest due first, at most max_per_second * tick in
// all and max_per_node_per_second * tick per node. With a cluster-wide rate of at least
// RequiredAuditRate(copies, period) = 2 * copies / period even all copies due at once are
// audited within half a period, and no copy waits longer than `period` between two audits
// (the test simulates it). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace freehold::coordinator {

struct AuditSchedule {
  absl::Duration period = absl::Hours(24 * 7);  // --audit-period
  double max_per_second = 10;                   // --audits-per-second (cluster)
  double max_per_node_per_second = 2;           // --audits-per-node-per-second
};

// The next due time after an audit at `now`: now + period * (0.5 + 0.4u), `u` in [0, 1).
absl::Time NextAuditAt(absl::Time now, absl::Duration period, double u);

// Audits per second needed so every one of `copies` is audited within `period`.
double RequiredAuditRate(int64_t copies, absl::Duration period);

struct AuditBudget {
  int total = 0;
  int per_node = 0;
};
// Audits allowed in one tick of length `tick` (at least 1 each when the rates are > 0).
AuditBudget BudgetFor(const AuditSchedule& schedule, absl::Duration tick);

struct DueCopy {
  std::string node_id;
  absl::Time due = absl::UnixEpoch();
};
// Indices into `due` (sorted by due time) chosen within `budget`, earliest first.
std::vector<int> PickDue(const std::vector<DueCopy>& due, const AuditBudget& budget);

}  // namespace freehold::coordinator
