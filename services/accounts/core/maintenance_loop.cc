#include "services/accounts/core/maintenance_loop.h"

#include "common/status.h"

namespace freehold::accounts {

absl::Status RunMaintenanceOnce(AccountRepository& repo, AccountsMetrics& metrics, Clock& clock,
                                absl::Duration retention, bool purge) {
  const absl::Time now = clock.Now();
  FH_ASSIGN_OR_RETURN(int64_t active, repo.CountActiveSessions(now));
  metrics.SetSessionsActive(static_cast<double>(active));
  if (!purge) return absl::OkStatus();
  return repo.PurgeExpired(now, retention).status();
}

MaintenanceLoop::MaintenanceLoop(AccountRepository& repo, AccountsMetrics& metrics, Clock& clock,
                                 absl::Duration interval, absl::Duration retention, Logger log,
                                 const LeaderGate* gate, AccountLifecycle* lifecycle)
    : thread_([this, &repo, &metrics, &clock, interval, retention, log, gate, lifecycle] {
        do {
          const bool purge = gate == nullptr || gate->IsLeader();
          absl::Status s = RunMaintenanceOnce(repo, metrics, clock, retention, purge);
          if (!s.ok()) log.Warn("maintenance failed", {{"error", s}});
          if (lifecycle != nullptr && purge) {
            absl::StatusOr<LifecyclePass> pass = lifecycle->RunOnce();
            if (!pass.ok()) {
              log.Warn("account lifecycle pass failed", {{"error", pass.status()}});
            } else if (pass->warned + pass->trashed + pass->collected > 0) {
              log.Info("account lifecycle", {{"warned", pass->warned},
                                             {"trashed", pass->trashed},
                                             {"collected", pass->collected}});
            }
          } else if (lifecycle != nullptr) {
            (void)lifecycle->Report();  // gauges only; the leader reports failures
          }
        } while (!stop_.WaitForNotificationWithTimeout(interval));
      }) {}

MaintenanceLoop::~MaintenanceLoop() {
  stop_.Notify();
  thread_.join();
}

}  // namespace freehold::accounts
