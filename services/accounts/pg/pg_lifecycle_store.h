// LifecycleStore over PostgreSQL (core/account_lifecycle.h; migration 0007_lifecycle:
// accounts.last_seen_at / warned_at / trashed_at, notification_outbox,
// lifecycle_totals). Each step is one statement: the candidates are locked with
// FOR UPDATE SKIP LOCKED (their conditions re-checked on the latest row version, so a
// concurrent login either commits first and the account is skipped, or waits and then
// renews it), and the step's notifications, session revocations, outbox rows and totals
// are written in the same transaction; the trashed-accounts outbox (migration 0009) is
// written by a trigger on accounts.trashed_at, so the trash step and every renewal of a
// trashed account append to it in their own transaction.
#pragma once

#include "common/pg.h"
#include "services/accounts/core/account_lifecycle.h"

namespace freehold::accounts {

// Thread-safe. `pool` must be created with AccountsPoolOptions and outlive this object.
class PgLifecycleStore : public LifecycleStore {
 public:
  explicit PgLifecycleStore(PgPool& pool) : pool_(pool) {}
  absl::StatusOr<int64_t> WarnSilent(absl::Time silent_since, absl::Time now, absl::Time trash_at,
                                     int limit) override;
  absl::StatusOr<int64_t> TrashWarned(absl::Time warned_before, absl::Time now,
                                      absl::Time collect_at, int limit) override;
  absl::StatusOr<int64_t> CollectTrashed(absl::Time trashed_before, absl::Time now,
                                         int limit) override;
  absl::StatusOr<LifecycleTotals> Totals() override;
  absl::StatusOr<std::vector<TrashedAccountEvent>> ListTrashedAccounts(int64_t after_sequence,
                                                                       int limit) override;
  absl::Status AckTrashedAccounts(const std::string& consumer, int64_t up_to_sequence,
                                  absl::Time now) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::accounts
