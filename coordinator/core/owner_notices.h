// Notices the coordinator owes an object's owner (issue 22 "the owner is told";
// docs/ARCHITECTURE.md "Abuse reports"). Today one kind: an operator disabled the
// object's public link after an abuse report.
//
// The coordinator knows no contact address and must not learn one. A notice is a row
// of the coordinator's own outbox (owner_notices, migration 0017), written in the same
// transaction as the change it reports (PgAbuseStore::Resolve), so a crash cannot lose
// it. OwnerNoticeSender (a leader loop) hands the undelivered rows, oldest first, to
// accounts (OwnerNoticeSink: Accounts.RecordOwnerNotices, coordinator certificate),
// which writes a notification_outbox row for the owner -- for an organization, each of
// its owners and admins -- only if that person gave a contact address. A notice is
// marked delivered only after accounts answered OK; accounts ignores a notice id it has
// seen before, so delivery is at least once and a repeat (a crash or restart between
// the answer and the mark, a lost answer) writes no second row.
//
// A notice carries only non-secret details: the object id, when, and the abuse
// report's category. Never a link key (the coordinator has none), a file's name or
// content, the reporter's text or contact, or the operator's note.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace freehold::coordinator {

inline constexpr char kNoticeLinkDisabled[] = "link_disabled";

struct OwnerNotice {
  std::string notice_id;        // canonical UUID, unique per notice
  std::string kind;             // kNoticeLinkDisabled
  std::string owner_id;         // objects.owner_account_id: an account or an organization
  std::string object_id;        // canonical UUID
  std::string reason_category;  // the abuse report's category (kAbuseCategories)
  absl::Time occurred_at = absl::UnixEpoch();
};

// The coordinator's outbox of notices (PostgreSQL: pg/pg_owner_notices.h). UNAVAILABLE
// when the database cannot be reached; INTERNAL otherwise.
class OwnerNoticeQueue {
 public:
  virtual ~OwnerNoticeQueue() = default;
  // Undelivered notices, the oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<OwnerNotice>> Undelivered(int limit) = 0;
  // Marks these notices delivered at `at` (already delivered ones keep their time).
  virtual absl::Status MarkDelivered(const std::vector<std::string>& notice_ids,
                                     absl::Time at) = 0;
};

// Where notices go: accounts (grpc/owner_notice_sink.h). OK means accounts committed
// every notice of the batch (or had seen it before); any error means none may be
// assumed delivered and the whole batch is sent again later.
class OwnerNoticeSink {
 public:
  virtual ~OwnerNoticeSink() = default;
  virtual absl::Status Deliver(const std::vector<OwnerNotice>& notices) = 0;
};

// Thread-compatible (one leader loop calls RunOnce); dependencies must outlive it.
class OwnerNoticeSender {
 public:
  static constexpr int kBatch = 100;  // the most Accounts.RecordOwnerNotices takes

  OwnerNoticeSender(OwnerNoticeQueue& queue, OwnerNoticeSink& sink, Logger log,
                    int batch = kBatch);

  // Delivers undelivered notices in batches until none is left or `max_batches` were
  // sent; returns how many were delivered. On an error the rest waits for the next run.
  absl::StatusOr<int> RunOnce(int max_batches = 10);

 private:
  OwnerNoticeQueue& queue_;
  OwnerNoticeSink& sink_;
  Logger log_;
  const int batch_;
};

}  // namespace freehold::coordinator
