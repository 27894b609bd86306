// The abandoned-account steps over PostgreSQL (see pg_lifecycle_store.h).
#include "services/accounts/pg/pg_lifecycle_store.h"

#include <pqxx/pqxx>

namespace freehold::accounts {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// $n (Unix microseconds) as a timestamptz.
#define FH_TS(n) "(timestamptz 'epoch' + interval '1 microsecond' * $" #n "::bigint)"

constexpr char kWarn[] =
    "WITH c AS (SELECT account_id FROM accounts WHERE deleted_at IS NULL AND warned_at IS NULL "
    "  AND last_seen_at <= " FH_TS(1) " ORDER BY last_seen_at LIMIT $4 FOR UPDATE SKIP LOCKED), "
    "u AS (UPDATE accounts a SET warned_at = " FH_TS(2) " FROM c "
    "  WHERE a.account_id = c.account_id RETURNING a.account_id, a.handle, a.contact), "
    "n AS (INSERT INTO notification_outbox (account_id, kind, handle, contact, act_at, "
    "  created_at) SELECT account_id, 'inactivity_warning', handle, contact, " FH_TS(3) ", "
    FH_TS(2) " FROM u WHERE contact IS NOT NULL ORDER BY account_id), "
    "t AS (UPDATE lifecycle_totals SET total = total + (SELECT count(*) FROM u) "
    "  WHERE stage = 'warned') "
    "SELECT count(*) FROM u";

constexpr char kTrash[] =
    "WITH c AS (SELECT account_id FROM accounts WHERE deleted_at IS NULL AND trashed_at IS NULL "
    "  AND warned_at <= " FH_TS(1) " ORDER BY warned_at LIMIT $4 FOR UPDATE SKIP LOCKED), "
    "u AS (UPDATE accounts a SET trashed_at = " FH_TS(2) " FROM c "
    "  WHERE a.account_id = c.account_id RETURNING a.account_id, a.handle, a.contact), "
    "s AS (UPDATE sessions SET revoked_at = " FH_TS(2) ", revoke_reason = 'inactive' "
    "  WHERE account_id IN (SELECT account_id FROM u) AND revoked_at IS NULL), "
    "n AS (INSERT INTO notification_outbox (account_id, kind, handle, contact, act_at, "
    "  created_at) SELECT account_id, 'inactivity_trashed', handle, contact, " FH_TS(3) ", "
    FH_TS(2) " FROM u WHERE contact IS NOT NULL ORDER BY account_id), "
    "t AS (UPDATE lifecycle_totals SET total = total + (SELECT count(*) FROM u) "
    "  WHERE stage = 'trashed') "
    "SELECT count(*) FROM u";

// The same wipe as DeleteAccount (pg_account_repository.cc "acc_delete"); the triggers
// of 0006 and 0007 drop the account's roles and notifications.
constexpr char kCollect[] =
    "WITH c AS (SELECT account_id FROM accounts WHERE deleted_at IS NULL "
    "  AND trashed_at <= " FH_TS(1) " ORDER BY trashed_at LIMIT $3 FOR UPDATE SKIP LOCKED), "
    "u AS (UPDATE accounts a SET salt = NULL, kdf_ops_limit = NULL, kdf_mem_limit = NULL, "
    "  kdf_algorithm = NULL, verifier = NULL, wrapped_identity = NULL, public_key = NULL, "
    "  contact = NULL, deleted_at = " FH_TS(2) ", updated_at = " FH_TS(2) " FROM c "
    "  WHERE a.account_id = c.account_id RETURNING a.account_id), "
    "s AS (UPDATE sessions SET revoked_at = " FH_TS(2) ", revoke_reason = 'account_deleted' "
    "  WHERE account_id IN (SELECT account_id FROM u) AND revoked_at IS NULL), "
    "o AS (INSERT INTO deleted_accounts_outbox (account_id, deleted_at) "
    "  SELECT account_id, " FH_TS(2) " FROM u ORDER BY account_id), "
    "t AS (UPDATE lifecycle_totals SET total = total + (SELECT count(*) FROM u) "
    "  WHERE stage = 'collected') "
    "SELECT count(*) FROM u";

constexpr char kTotals[] =
    "SELECT (SELECT total FROM lifecycle_totals WHERE stage = 'warned'), "
    "(SELECT total FROM lifecycle_totals WHERE stage = 'trashed'), "
    "(SELECT total FROM lifecycle_totals WHERE stage = 'collected'), "
    "(SELECT total FROM lifecycle_totals WHERE stage = 'renewed'), "
    "(SELECT count(*) FROM accounts WHERE deleted_at IS NULL AND warned_at IS NOT NULL "
    "  AND trashed_at IS NULL), "
    "(SELECT count(*) FROM accounts WHERE deleted_at IS NULL AND trashed_at IS NOT NULL)";

constexpr char kListTrashed[] =
    "SELECT sequence, account_id::text, action, "
    "(extract(epoch from at) * 1000000)::bigint FROM trashed_accounts_outbox "
    "WHERE sequence > $1 ORDER BY sequence LIMIT $2";

constexpr char kAckTrashed[] =
    "INSERT INTO outbox_consumers (consumer, acked_sequence, updated_at) "
    "VALUES ($1, $2, " FH_TS(3) ") ON CONFLICT (consumer) DO UPDATE SET "
    "acked_sequence = GREATEST(outbox_consumers.acked_sequence, EXCLUDED.acked_sequence), "
    "updated_at = EXCLUDED.updated_at";

#undef FH_TS

}  // namespace

absl::StatusOr<int64_t> PgLifecycleStore::WarnSilent(absl::Time silent_since, absl::Time now,
                                                     absl::Time trash_at, int limit) {
  return pool_.Run([&](PgTxn& txn) {
    return txn.exec_params(kWarn, Micros(silent_since), Micros(now), Micros(trash_at), limit)[0][0]
        .as<int64_t>();
  });
}

absl::StatusOr<int64_t> PgLifecycleStore::TrashWarned(absl::Time warned_before, absl::Time now,
                                                      absl::Time collect_at, int limit) {
  return pool_.Run([&](PgTxn& txn) {
    return txn
        .exec_params(kTrash, Micros(warned_before), Micros(now), Micros(collect_at), limit)[0][0]
        .as<int64_t>();
  });
}

absl::StatusOr<int64_t> PgLifecycleStore::CollectTrashed(absl::Time trashed_before,
                                                         absl::Time now, int limit) {
  return pool_.Run([&](PgTxn& txn) {
    return txn.exec_params(kCollect, Micros(trashed_before), Micros(now), limit)[0][0]
        .as<int64_t>();
  });
}

absl::StatusOr<LifecycleTotals> PgLifecycleStore::Totals() {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::row r = txn.exec1(kTotals);
    LifecycleTotals t;
    t.warned = r[0].as<int64_t>();
    t.trashed = r[1].as<int64_t>();
    t.collected = r[2].as<int64_t>();
    t.renewed = r[3].as<int64_t>();
    t.warned_now = r[4].as<int64_t>();
    t.trashed_now = r[5].as<int64_t>();
    return t;
  });
}

absl::StatusOr<std::vector<TrashedAccountEvent>> PgLifecycleStore::ListTrashedAccounts(
    int64_t after_sequence, int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    std::vector<TrashedAccountEvent> out;
    for (const pqxx::row& r : txn.exec_params(kListTrashed, after_sequence, limit)) {
      TrashedAccountEvent e;
      e.sequence = r[0].as<int64_t>();
      e.account_id = r[1].as<std::string>();
      e.action = r[2].as<std::string>() == "restore" ? TrashedAccountEvent::Action::kRestore
                                                     : TrashedAccountEvent::Action::kTrash;
      e.at = absl::FromUnixMicros(r[3].as<int64_t>());
      out.push_back(std::move(e));
    }
    return out;
  });
}

absl::Status PgLifecycleStore::AckTrashedAccounts(const std::string& consumer,
                                                  int64_t up_to_sequence, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_params(kAckTrashed, "trashed-accounts/" + consumer, up_to_sequence, Micros(now));
  });
}

}  // namespace freehold::accounts
