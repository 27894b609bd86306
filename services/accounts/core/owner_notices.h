// Notices the coordinator owes an object's owner (issue 22 "the owner is told";
// coordinator/core/owner_notices.h; Accounts.RecordOwnerNotices).
//
// The coordinator knows no contact address. It hands accounts (owner id, kind,
// non-secret details) and accounts writes a notification_outbox row for each recipient
// who gave a contact address: the account itself, or for an organization each of its
// owners and admins (members and read-only members are not told: they cannot act on
// the organization's links). An unknown or deleted owner, or one without a contact,
// gets no row. Delivery is at least once; a notice id seen before writes nothing, so
// a repeated batch (the coordinator restarted before marking it delivered) changes
// nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace freehold::accounts {

inline constexpr char kOwnerNoticeLinkDisabled[] = "link_disabled";

struct OwnerNoticeInput {
  std::string notice_id;  // canonical UUID
  std::string kind;       // kOwnerNoticeLinkDisabled
  std::string owner_id;   // canonical UUID: account or organization
  std::string object_id;  // canonical UUID
  std::string reason_category;  // [a-z_]{1,32}
  absl::Time occurred_at = absl::UnixEpoch();
};

struct OwnerNoticeOutcome {
  int64_t new_notices = 0;  // not seen before
  int64_t outbox_rows = 0;  // notification_outbox rows written
};

// Persistence seam (PostgreSQL: pg/pg_owner_notice_store.h). In one transaction: every
// notice not seen before is remembered and gets its outbox rows; seen ones are skipped.
class OwnerNoticeStore {
 public:
  virtual ~OwnerNoticeStore() = default;
  virtual absl::StatusOr<OwnerNoticeOutcome> Record(const std::vector<OwnerNoticeInput>& notices,
                                                    absl::Time now) = 0;
};

// Thread-safe; dependencies must outlive it. The caller checks the coordinator role.
class OwnerNotices {
 public:
  static constexpr size_t kMaxBatch = 100;

  OwnerNotices(OwnerNoticeStore& store, Clock& clock) : store_(store), clock_(clock) {}

  // INVALID_ARGUMENT naming the notice and field at fault (nothing is written then):
  // an empty or oversized batch, a repeated notice id, a malformed id, an unknown kind,
  // a bad category, a missing or far-future time.
  absl::StatusOr<OwnerNoticeOutcome> Record(const std::vector<OwnerNoticeInput>& notices);

 private:
  OwnerNoticeStore& store_;
  Clock& clock_;
};

}  // namespace freehold::accounts
