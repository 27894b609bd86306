#include "services/accounts/core/account_lifecycle.h"

#include <algorithm>

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
  if (report_cache < absl::ZeroDuration() || report_cache > absl::Minutes(10)) {
    return absl::InvalidArgumentError("--lifecycle-report-cache: must be 0..10m");
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

absl::StatusOr<LifecycleReport> AccountLifecycle::CachedReport() {
  // Held across the read: concurrent callers wait for one read instead of each
  // issuing their own.
  absl::MutexLock lock(&cache_mu_);
  const absl::Time now = clock_.Now();
  if (cached_.has_value() && now >= cached_at_ && now - cached_at_ < policy_.report_cache) {
    return *cached_;
  }
  FH_ASSIGN_OR_RETURN(LifecycleReport report, Report());
  cached_ = report;
  cached_at_ = now;
  return report;
}

namespace {
constexpr int kDefaultTrashedPage = 100;
constexpr int kMaxTrashedPage = 1000;
}  // namespace

absl::StatusOr<std::vector<TrashedAccountEvent>> AccountLifecycle::ListTrashedAccounts(
    int64_t after_sequence, uint32_t limit) {
  if (after_sequence < 0) return absl::InvalidArgumentError("after_sequence: must be >= 0");
  const int n = limit == 0 ? kDefaultTrashedPage
                           : static_cast<int>(std::min<uint32_t>(limit, kMaxTrashedPage));
  FH_ASSIGN_OR_RETURN(std::vector<TrashedAccountEvent> events,
                      store_.ListTrashedAccounts(after_sequence, n));
  for (TrashedAccountEvent& e : events) {
    if (e.action == TrashedAccountEvent::Action::kTrash) {
      e.collect_at = e.at + policy_.trash_retention;
    }
  }
  return events;
}

absl::Status AccountLifecycle::AckTrashedAccounts(int64_t up_to_sequence,
                                                  const std::string& consumer) {
  if (up_to_sequence < 0) return absl::InvalidArgumentError("up_to_sequence: must be >= 0");
  if (consumer.empty() || consumer.size() > 64) {
    return absl::InvalidArgumentError("consumer: 1 to 64 characters required");
  }
  for (char c : consumer) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return absl::InvalidArgumentError("consumer: only a-z, 0-9, _ and - are allowed");
    }
  }
  return store_.AckTrashedAccounts(consumer, up_to_sequence, clock_.Now());
}

}  // namespace freehold::accounts
