#include "coordinator/pg/pg_owner_notices.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator {

using pg_internal::FromMicros;
using pg_internal::Micros;

absl::StatusOr<std::vector<OwnerNotice>> PgOwnerNoticeQueue::Undelivered(int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<OwnerNotice>> {
    pqxx::result r = txn.exec_params(
        "SELECT notice_id::text, kind, owner_id::text, object_id::text, reason_category, "
        "ts_to_micros(occurred_at) FROM owner_notices WHERE delivered_at IS NULL "
        "ORDER BY occurred_at, notice_id LIMIT $1",
        limit);
    std::vector<OwnerNotice> out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) {
      OwnerNotice n;
      n.notice_id = row[0].as<std::string>();
      n.kind = row[1].as<std::string>();
      n.owner_id = row[2].as<std::string>();
      n.object_id = row[3].as<std::string>();
      n.reason_category = row[4].as<std::string>();
      n.occurred_at = FromMicros(row[5].as<int64_t>());
      out.push_back(std::move(n));
    }
    return out;
  });
}

absl::Status PgOwnerNoticeQueue::MarkDelivered(const std::vector<std::string>& notice_ids,
                                               absl::Time at) {
  if (notice_ids.empty()) return absl::OkStatus();
  // The ids are canonical UUIDs read from owner_notices: a uuid[] literal as is.
  return pool_.RunAutocommit([&](PgTxn& txn) {
    txn.exec_params(
        "UPDATE owner_notices SET delivered_at = micros_to_ts($2) "
        "WHERE notice_id = ANY($1::uuid[]) AND delivered_at IS NULL",
        absl::StrCat("{", absl::StrJoin(notice_ids, ","), "}"), Micros(at));
  });
}

}  // namespace freehold::coordinator
