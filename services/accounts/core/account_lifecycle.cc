#include "services/accounts/core/account_lifecycle.h"

#include "common/status.h"

namespace freehold::accounts {

absl::Status LifecyclePolicy::Validate() const {
  if (silence < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--inactivity-silence: must be >= 0 (0 disables)");
  }
  if (!enabled()) return absl::OkStatus();
  if (grace <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--inactivity-grace: must be > 0");
  }
  if (trash_retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--inactivity-trash-retention: must be > 0");
  }
  if (batch_size < 1 || batch_size > 10000) {
    return absl::InvalidArgumentError("batch_size: must be 1..10000");
  }
  if (max_batches_per_pass < 1) {
    return absl::InvalidArgumentError("max_batches_per_pass: must be >= 1");
  }
  return absl::OkStatus();
}

AccountLifecycle::AccountLifecycle(LifecycleStore& store, const LifecyclePolicy& policy,
                                   AccountsMetrics& metrics, Clock& clock)
    : store_(store), policy_(policy), metrics_(metrics), clock_(clock) {
  metrics_.SetLifecyclePolicy(policy_.silence, policy_.grace, policy_.trash_retention);
}

namespace {

// Repeats `step` while it fills its batch, at most `max_batches` times.
template <typename Step>
absl::StatusOr<int64_t> Drain(Step step, int batch, int max_batches) {
  int64_t total = 0;
  for (int i = 0; i < max_batches; ++i) {
    FH_ASSIGN_OR_RETURN(int64_t n, step(batch));
    total += n;
    if (n < batch) break;
  }
  return total;
}

}  // namespace

absl::StatusOr<LifecyclePass> AccountLifecycle::RunOnce() {
  LifecyclePass pass;
  if (policy_.enabled()) {
    const absl::Time now = clock_.Now();
    const int batch = policy_.batch_size;
    const int max = policy_.max_batches_per_pass;
    // Collect first, then trash, then warn: one pass never takes an account through
    // two steps, whatever the durations.
    FH_ASSIGN_OR_RETURN(pass.collected, Drain(
                                            [&](int n) {
                                              return store_.CollectTrashed(
                                                  now - policy_.trash_retention, now, n);
                                            },
                                            batch, max));
    FH_ASSIGN_OR_RETURN(pass.trashed,
                        Drain(
                            [&](int n) {
                              return store_.TrashWarned(now - policy_.grace, now,
                                                        now + policy_.trash_retention, n);
                            },
                            batch, max));
    FH_ASSIGN_OR_RETURN(pass.warned, Drain(
                                         [&](int n) {
                                           return store_.WarnSilent(now - policy_.silence, now,
                                                                    now + policy_.grace, n);
                                         },
                                         batch, max));
  }
  FH_RETURN_IF_ERROR(Report().status());
  return pass;
}

absl::StatusOr<LifecycleReport> AccountLifecycle::Report() {
  FH_ASSIGN_OR_RETURN(LifecycleTotals totals, store_.Totals());
  metrics_.SetLifecycleTotals(totals.warned, totals.trashed, totals.collected, totals.renewed,
                              totals.warned_now, totals.trashed_now);
  return LifecycleReport{policy_, totals};
}

}  // namespace freehold::accounts
