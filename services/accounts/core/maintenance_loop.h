// Background upkeep: refreshes the sessions-active gauge from the database and purges
// sessions and recovery challenges that are long revoked or expired. Safe on several
// replicas (the statements are idempotent); with a LeaderGate only the leading replica
// purges, every replica refreshes its gauge.
#pragma once

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/leader_gate.h"
#include "common/logging.h"
#include "services/accounts/core/account_lifecycle.h"
#include "services/accounts/core/account_repository.h"
#include "services/accounts/core/accounts_metrics.h"

namespace freehold::accounts {

// One pass; returns the first error. Purges only when `purge`.
absl::Status RunMaintenanceOnce(AccountRepository& repo, AccountsMetrics& metrics, Clock& clock,
                                absl::Duration retention, bool purge = true);

// Runs RunMaintenanceOnce every `interval` on its own thread until destroyed, purging
// only while `gate` leads (null: always). With a `lifecycle`, the leading replica also
// runs its pass (abandoned accounts) and the others refresh its gauges. `gate` and
// `lifecycle` must outlive the loop.
class MaintenanceLoop {
 public:
  MaintenanceLoop(AccountRepository& repo, AccountsMetrics& metrics, Clock& clock,
                  absl::Duration interval, absl::Duration retention, Logger log,
                  const LeaderGate* gate = nullptr, AccountLifecycle* lifecycle = nullptr);
  ~MaintenanceLoop();  // stops and joins

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace freehold::accounts
