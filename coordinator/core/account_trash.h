// The abandoned-account trash (services/accounts/README.md "Abandoned accounts";
// docs/ARCHITECTURE.md#10-keeping-data-alive, "Trash").
//
// Accounts' lifecycle trashes an account that stayed silent past its warning and grace
// period, and renews it if its owner logs in before collection; each change is a row of
// accounts' trashed-accounts outbox (commit-ordered). AccountTrashConsumer applies them
// in order:
//   TRASH    every committed object of the account not already in the trash goes to
//            it (unreadable at once for everyone: owner, shared readers, public links),
//            marked trashed_with_account, purge_at = collect_at + --trash-window;
//   RESTORE  every object marked trashed_with_account comes back as it was (shares,
//            links, folder; one whose folder name was taken since goes to the root).
//            Objects the owner deleted before keep their own trash window.
// When restore is still possible: until accounts collects the account (trashed_at +
// --inactivity-trash-retention, the event's collect_at). A login before that moment
// renews the account and queues a RESTORE; collection deletes the account through the
// deletion outbox (AccountDeletionConsumer removes every object, trashed or not). The
// objects' purge_at is collect_at plus the coordinator's --trash-window, so a RESTORE
// queued just before collection still finds every object however late the coordinator
// reads it (within that window), and the purge remains a backstop if accounts never
// collects.
//
// Each event is handled in batches of kBatch objects, one transaction each, and is
// idempotent (TRASH takes only live objects, RESTORE only marked ones); the cursor is
// stored after each event, so a restart repeats at most the event it was in.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/config.h"
#include "coordinator/core/remote.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

// Thread-compatible (one leader loop calls Poll); dependencies must outlive it.
class AccountTrashConsumer {
 public:
  static constexpr const char* kConsumer = "accounts-trash";
  static constexpr int kBatch = 500;

  // `batch`: objects per transaction (1..kBatch; tests use small ones).
  AccountTrashConsumer(MetadataStore& store, TrashedAccountsFeed& feed, Clock& clock,
                       const CoordinatorConfig& config, Logger log, int batch = kBatch);

  // Handles at most `limit` events: applies each, stores the cursor, then acks.
  // Returns the number of events handled; on an error the rest waits for the next poll.
  absl::StatusOr<int> Poll(int limit = 100);

 private:
  // Both return how many objects moved.
  absl::StatusOr<int64_t> Trash(const std::string& account_id, absl::Time collect_at);
  absl::StatusOr<int64_t> Restore(const std::string& account_id);

  MetadataStore& store_;
  TrashedAccountsFeed& feed_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  Logger log_;
  const int batch_;
};

}  // namespace freehold::coordinator
