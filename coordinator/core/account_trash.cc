#include "coordinator/core/account_trash.h"

#include <algorithm>
#include <vector>

#include "common/status.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {
namespace {
// Bounds the batches of one event (each batch moves kBatch objects out of the set it
// selects from, so an account of up to 50 million objects finishes in one event).
constexpr int kMaxBatchesPerEvent = 100000;
}  // namespace

AccountTrashConsumer::AccountTrashConsumer(MetadataStore& store, TrashedAccountsFeed& feed,
                                           Clock& clock, const CoordinatorConfig& config,
                                           Logger log, int batch)
    : store_(store),
      feed_(feed),
      clock_(clock),
      config_(config),
      log_(std::move(log)),
      batch_(std::clamp(batch, 1, kBatch)) {}

absl::StatusOr<int64_t> AccountTrashConsumer::Trash(const std::string& account_id,
                                                    absl::Time collect_at) {
  const absl::Time now = clock_.Now();
  const absl::Time purge_at = std::max(collect_at, now) + config_.trash_window;
  int64_t moved = 0;
  for (int i = 0; i < kMaxBatchesPerEvent; ++i) {
    int n = 0;
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(n, txn.objects().TrashLiveOwnedBy(account_id, now, purge_at, batch_));
      return absl::OkStatus();
    }));
    moved += n;
    if (n < batch_) break;
  }
  return moved;
}

absl::StatusOr<int64_t> AccountTrashConsumer::Restore(const std::string& account_id) {
  int64_t moved = 0;
  for (int i = 0; i < kMaxBatchesPerEvent; ++i) {
    int n = 0;
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(n, txn.objects().RestoreTrashedWithAccount(account_id, batch_));
      return absl::OkStatus();
    }));
    moved += n;
    if (n < batch_) break;
  }
  return moved;
}

absl::StatusOr<int> AccountTrashConsumer::Poll(int limit) {
  int64_t cursor = 0;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(cursor, txn.cursors().Get(kConsumer));
    return absl::OkStatus();
  }));
  FH_ASSIGN_OR_RETURN(std::vector<TrashedAccountEvent> events, feed_.List(cursor, limit));
  int handled = 0;
  for (const TrashedAccountEvent& event : events) {
    if (event.sequence <= cursor) continue;
    absl::StatusOr<std::string> account_id = CanonicalUuid(event.account_id, "account_id");
    if (!account_id.ok()) {
      log_.Warn("trashed-account event with a malformed account id skipped",
                {{"sequence", event.sequence}});
    } else if (event.action == TrashedAccountEvent::Action::kTrash) {
      FH_ASSIGN_OR_RETURN(int64_t moved, Trash(*account_id, event.collect_at));
      log_.Info("abandoned account's objects moved to the trash",
                {{"account_id", *account_id}, {"objects", moved}});
    } else {
      FH_ASSIGN_OR_RETURN(int64_t moved, Restore(*account_id));
      log_.Info("renewed account's objects restored from the trash",
                {{"account_id", *account_id}, {"objects", moved}});
    }
    cursor = event.sequence;
    FH_RETURN_IF_ERROR(
        store_.Transact([&](MetadataTxn& txn) { return txn.cursors().Set(kConsumer, cursor); }));
    ++handled;
  }
  if (handled > 0) FH_RETURN_IF_ERROR(feed_.Ack(cursor));
  return handled;
}

}  // namespace freehold::coordinator
