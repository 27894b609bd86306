#include "services/accounts/pg/pg_owner_notice_store.h"

#include <pqxx/pqxx>

namespace freehold::accounts {
namespace {

// $n (Unix microseconds) as a timestamptz.
#define FH_TS(n) "(timestamptz 'epoch' + interval '1 microsecond' * $" #n "::bigint)"

// $1 notice id, $2 kind, $3 owner id, $4 object id, $5 reason, $6 occurred at, $7 now.
constexpr char kRecord[] =
    "WITH seen AS (INSERT INTO owner_notices_received (notice_id, kind, owner_id, received_at) "
    "  VALUES ($1::uuid, $2, $3::uuid, " FH_TS(7) ") ON CONFLICT (notice_id) DO NOTHING "
    "  RETURNING notice_id), "
    "r AS (SELECT a.account_id, a.handle, a.contact FROM accounts a "
    "  WHERE a.deleted_at IS NULL AND a.contact IS NOT NULL AND (a.account_id = $3::uuid "
    "    OR a.account_id IN (SELECT m.account_id FROM org_members m "
    "      WHERE m.org_id = $3::uuid AND m.role IN ('owner', 'admin')))), "
    "n AS (INSERT INTO notification_outbox (account_id, kind, handle, contact, act_at, "
    "  created_at, notice_id, object_id, reason) "
    "  SELECT r.account_id, $2, r.handle, r.contact, " FH_TS(6) ", " FH_TS(7) ", s.notice_id, "
    "    $4::uuid, $5 FROM seen s CROSS JOIN r ORDER BY r.account_id "
    "  ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM seen), (SELECT count(*) FROM n)";

#undef FH_TS

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

}  // namespace

absl::StatusOr<OwnerNoticeOutcome> PgOwnerNoticeStore::Record(
    const std::vector<OwnerNoticeInput>& notices, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<OwnerNoticeOutcome> {
    OwnerNoticeOutcome out;
    for (const OwnerNoticeInput& n : notices) {
      pqxx::row r = txn.exec_params1(kRecord, n.notice_id, n.kind, n.owner_id, n.object_id,
                                     n.reason_category, Micros(n.occurred_at), Micros(now));
      out.new_notices += r[0].as<int64_t>();
      out.outbox_rows += r[1].as<int64_t>();
    }
    return out;
  });
}

}  // namespace freehold::accounts
