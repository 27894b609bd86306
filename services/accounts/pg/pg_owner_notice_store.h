// OwnerNoticeStore over PostgreSQL (core/owner_notices.h; migration 0011_notify:
// owner_notices_received, notification_outbox.notice_id / object_id / reason). One
// transaction per batch; per notice one statement: remember the notice id (ON CONFLICT
// DO NOTHING: a repeat stops here) and, only if it is new, write a notification_outbox
// row for each live recipient with a contact address -- the owner account, or an
// organization's owners and admins. Concurrent deliveries of one notice serialize on
// its primary key; the unique (notice_id, account_id) index is a second guard.
#pragma once

#include "common/pg.h"
#include "services/accounts/core/owner_notices.h"

namespace freehold::accounts {

// Thread-safe. `pool` must be created with AccountsPoolOptions and outlive this object.
class PgOwnerNoticeStore : public OwnerNoticeStore {
 public:
  explicit PgOwnerNoticeStore(PgPool& pool) : pool_(pool) {}
  absl::StatusOr<OwnerNoticeOutcome> Record(const std::vector<OwnerNoticeInput>& notices,
                                            absl::Time now) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::accounts
