#include "services/accounts/core/maintenance_loop.h"

#include "common/status.h"

namespace freehold::accounts {

absl::Status RunMaintenanceOnce(AccountRepository& repo, AccountsMetrics& metrics, Clock& clock,
                                absl::Duration retention) {
  const absl::Time now = clock.Now();
  FH_ASSIGN_OR_RETURN(int64_t active, repo.CountActiveSessions(now));
  metrics.SetSessionsActive(static_cast<double>(active));
  return repo.PurgeExpired(now, retention).status();
}

MaintenanceLoop::MaintenanceLoop(AccountRepository& repo, AccountsMetrics& metrics, Clock& clock,
                                 absl::Duration interval, absl::Duration retention, Logger log)
    : thread_([this, &repo, &metrics, &clock, interval, retention, log] {
        do {
          absl::Status s = RunMaintenanceOnce(repo, metrics, clock, retention);
          if (!s.ok()) log.Warn("maintenance failed", {{"error", s}});
        } while (!stop_.WaitForNotificationWithTimeout(interval));
      }) {}

MaintenanceLoop::~MaintenanceLoop() {
  stop_.Notify();
  thread_.join();
}

}  // namespace freehold::accounts
