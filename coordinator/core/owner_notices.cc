#include "coordinator/core/owner_notices.h"

#include <algorithm>

#include "common/status.h"

namespace freehold::coordinator {

OwnerNoticeSender::OwnerNoticeSender(OwnerNoticeQueue& queue, OwnerNoticeSink& sink, Logger log,
                                     int batch)
    : queue_(queue), sink_(sink), log_(std::move(log)), batch_(std::clamp(batch, 1, kBatch)) {}

absl::StatusOr<int> OwnerNoticeSender::RunOnce(int max_batches) {
  int delivered = 0;
  for (int b = 0; b < max_batches; ++b) {
    FH_ASSIGN_OR_RETURN(std::vector<OwnerNotice> notices, queue_.Undelivered(batch_));
    if (notices.empty()) break;
    if (absl::Status s = sink_.Deliver(notices); !s.ok()) {
      log_.Warn("owner notices not delivered to accounts; retrying later",
                {{"notices", static_cast<int64_t>(notices.size())}, {"error", s}});
      return s;
    }
    std::vector<std::string> ids;
    ids.reserve(notices.size());
    for (const OwnerNotice& n : notices) ids.push_back(n.notice_id);
    // A failure here only means the batch is sent again: accounts ignores repeats.
    FH_RETURN_IF_ERROR(queue_.MarkDelivered(ids, absl::Now()));
    delivered += static_cast<int>(notices.size());
    if (static_cast<int>(notices.size()) < batch_) break;
  }
  if (delivered > 0) {
    log_.Info("owner notices delivered to accounts", {{"notices", static_cast<int64_t>(delivered)}});
  }
  return delivered;
}

}  // namespace freehold::coordinator
