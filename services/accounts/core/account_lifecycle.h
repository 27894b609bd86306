// Abandoned accounts: no quota, but no forever-orphans (services/accounts/README.md
// "Abandoned accounts").
//
// Every account holds a liveness lease (AccountRecord::last_seen_at) renewed by any
// authenticated use: a login, a recovery or a refresh (at most one write per account per
// AccountsOptions::lease_renew_interval, a day). A pass of AccountLifecycle, run by the leading replica:
//   1. warns each live account silent for `silence` (warned_at = now) and, if it gave a
//      contact address, queues an "inactivity_warning" in the notification outbox the
//      operator's mailer drains (no mail server in Freehold);
//   2. trashes each account warned `grace` ago and silent since (trashed_at = now): its
//      sessions end (so its access tokens die with the coordinator's deny list), a "trash"
//      row goes to the trashed-accounts outbox (the coordinator moves every live object
//      of the account into its trash: nobody reads them from then on), and an
//      "inactivity_trashed" notification is queued;
//   3. collects each account trashed `trash_retention` ago: deleted exactly like
//      DeleteAccount (credentials and contact wiped, deletion outbox row), so the
//      coordinator deletes its objects.
// A login (or recovery) before collection clears the warning and the trash ("renewed");
// renewing a trashed account appends a "restore" row to the trashed-accounts outbox
// (the coordinator restores the objects it trashed for the account). The outbox rows
// are written by a trigger on trashed_at (migration 0009), in commit order.
//
// Every step is one transaction per batch whose conditions are re-checked in the
// database, so a login racing a pass wins or loses cleanly. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "services/accounts/core/accounts_metrics.h"

namespace freehold::accounts {

struct LifecyclePolicy {
  // Silence before the warning; zero disables the whole lifecycle. 730 days ~ 24 months.
  absl::Duration silence = absl::Hours(24 * 730);
  // From the warning to the trash.
  absl::Duration grace = absl::Hours(24 * 60);
  // From the trash to collection.
  absl::Duration trash_retention = absl::Hours(24 * 30);
  // Accounts per step and transaction; a pass repeats a step until a batch is short, at
  // most max_batches_per_pass times.
  int batch_size = 500;
  int max_batches_per_pass = 20;
  // GetLifecycleReport answers from a report at most this old (0: reads every call), so
  // the unauthenticated RPC cannot be used to load the database.
  absl::Duration report_cache = absl::Seconds(5);

  bool enabled() const { return silence > absl::ZeroDuration(); }
  // INVALID_ARGUMENT naming the flag (--inactivity-*) or field.
  absl::Status Validate() const;
};

// Cumulative counts since the lifecycle began (the same on every replica) and the
// accounts warned or trashed right now.
struct LifecycleTotals {
  int64_t warned = 0;
  int64_t trashed = 0;
  int64_t collected = 0;
  int64_t renewed = 0;  // warned or trashed accounts whose owner came back
  int64_t warned_now = 0;
  int64_t trashed_now = 0;
};

// What one pass did.
struct LifecyclePass {
  int64_t warned = 0;
  int64_t trashed = 0;
  int64_t collected = 0;
};

// One row of the trashed-accounts outbox (migration 0009), for the coordinator.
struct TrashedAccountEvent {
  enum class Action { kTrash, kRestore };
  int64_t sequence = 0;
  std::string account_id;  // canonical UUID
  Action action = Action::kTrash;
  absl::Time at = absl::UnixEpoch();  // trashed_at (kTrash) or the renewal (kRestore)
  // kTrash: when the account is collected (at + trash_retention under the policy in
  // force now; the collection step uses the same). Unset for kRestore.
  absl::Time collect_at = absl::UnixEpoch();
};

// The lifecycle's storage (PostgreSQL: pg/pg_lifecycle_store.h). Each step handles at
// most `limit` accounts in one transaction and returns how many it handled.
class LifecycleStore {
 public:
  virtual ~LifecycleStore() = default;
  // Live accounts, not warned, with last_seen_at <= silent_since: warned_at = now, an
  // inactivity_warning (act_at = trash_at) for those with a contact, totals.warned += n.
  virtual absl::StatusOr<int64_t> WarnSilent(absl::Time silent_since, absl::Time now,
                                             absl::Time trash_at, int limit) = 0;
  // Live accounts warned at or before warned_before and not trashed: trashed_at = now,
  // every session revoked ("inactive"), an inactivity_trashed (act_at = collect_at) for
  // those with a contact, totals.trashed += n.
  virtual absl::StatusOr<int64_t> TrashWarned(absl::Time warned_before, absl::Time now,
                                              absl::Time collect_at, int limit) = 0;
  // Live accounts trashed at or before trashed_before: deleted as by DeleteAccount
  // (wiped, sessions revoked, a deleted_accounts_outbox row), totals.collected += n.
  virtual absl::StatusOr<int64_t> CollectTrashed(absl::Time trashed_before, absl::Time now,
                                                 int limit) = 0;
  virtual absl::StatusOr<LifecycleTotals> Totals() = 0;
  // Trashed-accounts outbox rows with sequence > after_sequence, ascending, at most
  // `limit` (collect_at left unset).
  virtual absl::StatusOr<std::vector<TrashedAccountEvent>> ListTrashedAccounts(
      int64_t after_sequence, int limit) = 0;
  // Records that `consumer` handled every row up to `up_to_sequence` (never moves back).
  virtual absl::Status AckTrashedAccounts(const std::string& consumer, int64_t up_to_sequence,
                                          absl::Time now) = 0;
};

// The policy and its counts, public on the transparency page (GetLifecycleReport).
struct LifecycleReport {
  LifecyclePolicy policy;
  LifecycleTotals totals;
};

class AccountLifecycle {
 public:
  // `policy` must be valid. Dependencies must outlive this object.
  AccountLifecycle(LifecycleStore& store, const LifecyclePolicy& policy, AccountsMetrics& metrics,
                   Clock& clock);

  // One pass at clock.Now() (nothing when the policy is disabled); refreshes the
  // metrics. Returns the first error.
  absl::StatusOr<LifecyclePass> RunOnce();
  // The policy and the totals, read now; refreshes the metrics.
  absl::StatusOr<LifecycleReport> Report();
  // Report() at most policy.report_cache old (GetLifecycleReport, unauthenticated):
  // concurrent callers share one read.
  absl::StatusOr<LifecycleReport> CachedReport();

  // The trashed-accounts outbox for the coordinator (ListTrashedAccounts): rows after
  // after_sequence (>= 0, else INVALID_ARGUMENT), at most `limit` (0 = 100, capped at
  // 1000), each trash row with its collect_at.
  absl::StatusOr<std::vector<TrashedAccountEvent>> ListTrashedAccounts(int64_t after_sequence,
                                                                       uint32_t limit);
  // INVALID_ARGUMENT for a negative sequence or a consumer name not of 1..64 [a-z0-9_-].
  absl::Status AckTrashedAccounts(int64_t up_to_sequence, const std::string& consumer);

  const LifecyclePolicy& policy() const { return policy_; }

 private:
  LifecycleStore& store_;
  const LifecyclePolicy policy_;
  AccountsMetrics& metrics_;
  Clock& clock_;
  absl::Mutex cache_mu_;
  std::optional<LifecycleReport> cached_ ABSL_GUARDED_BY(cache_mu_);
  absl::Time cached_at_ ABSL_GUARDED_BY(cache_mu_) = absl::InfinitePast();
};

}  // namespace freehold::accounts
