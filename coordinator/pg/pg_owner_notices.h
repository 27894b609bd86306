// OwnerNoticeQueue over PostgreSQL (schema "coordinator", migration 0017_notify:
// owner_notices; core/owner_notices.h). The rows are written by the change they report
// (PgAbuseStore::Resolve), in its transaction.
#pragma once

#include "common/pg.h"
#include "coordinator/core/owner_notices.h"

namespace freehold::coordinator {

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgOwnerNoticeQueue : public OwnerNoticeQueue {
 public:
  explicit PgOwnerNoticeQueue(PgPool& pool) : pool_(pool) {}
  absl::StatusOr<std::vector<OwnerNotice>> Undelivered(int limit) override;
  absl::Status MarkDelivered(const std::vector<std::string>& notice_ids, absl::Time at) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::coordinator
