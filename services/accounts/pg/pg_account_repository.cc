#include "services/accounts/pg/pg_account_repository.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/migrations.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "freehold_embedded/accounts_pg_migrations.h"

namespace freehold::accounts {
namespace {

// Timestamps travel as int64 microseconds since the Unix epoch.
int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// SQL fragments: TS(n) turns parameter $n (micros) into a timestamptz; US(x) reads one.
std::string Sql(const std::string& text) {
  return absl::StrReplaceAll(text, {{"TS(", "(timestamptz 'epoch' + interval '1 microsecond' * "},
                                    {"US(", "(extract(epoch from "},
                                    {")US", ") * 1000000)::bigint"}});
}

pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s); }
std::string ReadBytes(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

constexpr char kAccountColumns[] =
    "account_id::text, handle, salt, kdf_ops_limit, kdf_mem_limit, kdf_algorithm, verifier, "
    "wrapped_identity, public_key, contact, US(created_at)US, deleted_at IS NOT NULL, "
    "US(last_seen_at)US, (warned_at IS NOT NULL OR trashed_at IS NOT NULL)";

AccountRecord ReadAccount(const pqxx::row& r) {
  AccountRecord a;
  a.account_id = r[0].as<std::string>();
  a.handle = r[1].as<std::string>();
  a.deleted = r[11].as<bool>();
  a.created_at = FromMicros(r[10].as<int64_t>());
  a.last_seen_at = FromMicros(r[12].as<int64_t>());
  a.lease_lapsed = r[13].as<bool>();
  if (a.deleted) return a;
  a.credentials.salt = ReadBytes(r[2]);
  a.credentials.kdf.ops_limit = r[3].as<uint64_t>();
  a.credentials.kdf.mem_limit_bytes = r[4].as<uint64_t>();
  a.credentials.kdf.algorithm = r[5].as<std::string>();
  a.credentials.verifier = ReadBytes(r[6]);
  a.credentials.wrapped_identity = ReadBytes(r[7]);
  a.public_key = r[8].as<std::string>();
  if (!r[9].is_null()) a.contact = r[9].as<std::string>();
  return a;
}

const std::vector<std::pair<std::string, std::string>>& Statements() {
  static const auto* kStatements = new std::vector<std::pair<std::string, std::string>>{
      {"acc_find_by_handle",
       Sql(absl::StrCat("SELECT ", kAccountColumns, " FROM accounts WHERE handle = $1"))},
      {"acc_find_by_id",
       Sql(absl::StrCat("SELECT ", kAccountColumns, " FROM accounts WHERE account_id = $1::uuid"))},
      {"acc_create",
       Sql("INSERT INTO accounts (account_id, handle, salt, kdf_ops_limit, kdf_mem_limit, "
           "kdf_algorithm, verifier, wrapped_identity, public_key, contact, created_at, "
           "updated_at, last_seen_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, "
           "NULLIF($10, ''), TS($11), TS($11), TS($11))")},
      // The liveness lease (RenewLease): $3 = renewed at or before this: stale.
      {"acc_lease_renew",
       Sql("WITH o AS (SELECT account_id, (warned_at IS NOT NULL) AS lapsed FROM accounts "
           "WHERE account_id = $1::uuid AND deleted_at IS NULL AND "
           "(last_seen_at <= TS($3) OR warned_at IS NOT NULL) FOR UPDATE), "
           "u AS (UPDATE accounts a SET last_seen_at = TS($2), warned_at = NULL, "
           "trashed_at = NULL FROM o WHERE a.account_id = o.account_id RETURNING o.lapsed) "
           "UPDATE lifecycle_totals SET total = total + 1 WHERE stage = 'renewed' "
           "AND EXISTS (SELECT 1 FROM u WHERE u.lapsed)")},
      // Login in one round trip (autocommit). The verifier gate compares SHA-256 digests
      // (blinded), so PostgreSQL's early-exit bytea comparison leaks nothing.
      {"acc_login",
       Sql(absl::StrCat(
           "WITH a AS (SELECT ", kAccountColumns,
           ", account_id AS id, verifier AS v FROM accounts "
           "WHERE handle = $1 AND deleted_at IS NULL), "
           "s AS (INSERT INTO sessions (session_id, account_id, device_name, refresh_hash, "
           "created_at, last_used_at, expires_at) SELECT $2::uuid, id, $3, $4, TS($5), TS($5), "
           "TS($6) FROM a WHERE sha256(a.v) = sha256($7::bytea) RETURNING session_id) "
           "SELECT a.*, EXISTS (SELECT 1 FROM s) FROM a"))},
      {"acc_create_session",
       Sql("INSERT INTO sessions (session_id, account_id, device_name, refresh_hash, created_at, "
           "last_used_at, expires_at) SELECT $1::uuid, $2::uuid, $3, $4, TS($5), TS($5), TS($6) "
           "FROM accounts WHERE account_id = $2::uuid AND deleted_at IS NULL")},
      {"acc_refresh_session",
       Sql("SELECT s.account_id::text, s.refresh_hash, s.expires_at <= TS($2), "
           "s.revoked_at IS NOT NULL, US(a.last_seen_at)US, a.warned_at IS NOT NULL "
           "FROM sessions s JOIN accounts a USING (account_id) WHERE s.session_id = $1::uuid "
           "FOR UPDATE OF s")},
      // A spent token of the session: is it the latest one spent (its successor is the
      // live token) and when was it spent? Ties count as latest (see the retry below).
      {"acc_refresh_spent",
       Sql("SELECT NOT EXISTS (SELECT 1 FROM spent_refresh_tokens l WHERE l.session_id = "
           "s.session_id AND l.spent_at > s.spent_at), US(s.spent_at)US "
           "FROM spent_refresh_tokens s WHERE s.session_id = $1::uuid AND s.token_hash = $2")},
      {"acc_refresh_spend",
       Sql("INSERT INTO spent_refresh_tokens (token_hash, session_id, spent_at) "
           "VALUES ($1, $2::uuid, TS($3))")},
      {"acc_session_rotate",
       Sql("UPDATE sessions SET refresh_hash = $2, last_used_at = TS($3), expires_at = TS($4) "
           "WHERE session_id = $1::uuid")},
      {"acc_session_revoke_one",
       Sql("UPDATE sessions SET revoked_at = TS($3), revoke_reason = $4 "
           "WHERE session_id = $1::uuid AND account_id = $2::uuid AND revoked_at IS NULL "
           "AND expires_at > TS($3)")},
      {"acc_session_revoke_others",
       Sql("UPDATE sessions SET revoked_at = TS($3), revoke_reason = $4 "
           "WHERE account_id = $1::uuid AND revoked_at IS NULL "
           "AND session_id::text IS DISTINCT FROM NULLIF($2, '')")},
      {"acc_session_active",
       Sql("SELECT 1 FROM sessions s JOIN accounts a USING (account_id) "
           "WHERE s.session_id = $1::uuid AND s.account_id = $2::uuid AND s.revoked_at IS NULL "
           "AND s.expires_at > TS($3) AND a.deleted_at IS NULL")},
      {"acc_session_list",
       Sql("SELECT session_id::text, device_name, US(created_at)US, US(last_used_at)US "
           "FROM sessions WHERE account_id = $1::uuid AND revoked_at IS NULL "
           "AND expires_at > TS($2) ORDER BY created_at DESC, session_id")},
      {"acc_update_credentials",
       Sql("UPDATE accounts SET salt = $2, kdf_ops_limit = $3, kdf_mem_limit = $4, "
           "kdf_algorithm = $5, verifier = $6, wrapped_identity = $7, updated_at = TS($8) "
           "WHERE account_id = $1::uuid")},
      {"acc_lock_account",
       "SELECT verifier FROM accounts WHERE account_id = $1::uuid AND deleted_at IS NULL "
       "FOR UPDATE"},
      {"acc_challenge_save",
       Sql("INSERT INTO recovery_challenges (challenge_hash, account_id, expires_at) "
           "VALUES ($1, $2::uuid, TS($3))")},
      {"acc_challenge_consume",
       Sql("UPDATE recovery_challenges SET used_at = TS($3) WHERE challenge_hash = $1 "
           "AND account_id = $2::uuid AND used_at IS NULL AND expires_at > TS($3)")},
      {"acc_delete",
       Sql("UPDATE accounts SET salt = NULL, kdf_ops_limit = NULL, kdf_mem_limit = NULL, "
           "kdf_algorithm = NULL, verifier = NULL, wrapped_identity = NULL, public_key = NULL, "
           "contact = NULL, deleted_at = TS($2), updated_at = TS($2) "
           "WHERE account_id = $1::uuid AND deleted_at IS NULL")},
      {"acc_outbox_insert", Sql("INSERT INTO deleted_accounts_outbox (account_id, deleted_at) "
                                "VALUES ($1::uuid, TS($2)) RETURNING sequence")},
      {"acc_outbox_list",
       Sql("SELECT sequence, account_id::text, US(deleted_at)US FROM deleted_accounts_outbox "
           "WHERE sequence > $1 ORDER BY sequence LIMIT $2")},
      {"acc_outbox_ack",
       Sql("INSERT INTO outbox_consumers (consumer, acked_sequence, updated_at) "
           "VALUES ($1, $2, TS($3)) ON CONFLICT (consumer) DO UPDATE SET "
           "acked_sequence = GREATEST(outbox_consumers.acked_sequence, EXCLUDED.acked_sequence), "
           "updated_at = EXCLUDED.updated_at")},
      {"acc_revoked_list",
       Sql("SELECT sequence, session_id::text, US(revoked_at)US FROM revoked_sessions "
           "WHERE sequence > $1 ORDER BY sequence LIMIT $2")},
      {"acc_purge_revoked", Sql("DELETE FROM revoked_sessions WHERE revoked_at < TS($1)")},
      {"acc_sessions_count",
       Sql("SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > TS($1)")},
      {"acc_purge_sessions",
       Sql("DELETE FROM sessions WHERE expires_at < TS($1) OR revoked_at < TS($1)")},
      {"acc_purge_challenges", Sql("DELETE FROM recovery_challenges WHERE expires_at < TS($1)")},
      // Login-throttle counters (pg_login_throttle.h) idle and unblocked since the cutoff.
      {"acc_purge_throttle",
       "DELETE FROM login_throttle WHERE last_failure_us < $1 AND blocked_until_us < $1"},
  };
  return *kStatements;
}

}  // namespace

absl::Status MigrateAccountsSchema(PgPool& pool) {
  MigrationRunner runner(pool, "accounts", embedded::accounts_pg_migrations());
  return runner.Apply().status();
}

PgPoolOptions AccountsPoolOptions(std::string connection_string, int size) {
  PgPoolOptions o;
  o.connection_string = std::move(connection_string);
  o.size = size;
  o.search_path = "accounts";
  o.application_name = "freehold-accounts";
  o.prepared = Statements();
  return o;
}

PgAccountRepository::PgAccountRepository(PgPool& pool) : pool_(pool) {}

absl::StatusOr<std::optional<AccountRecord>> PgAccountRepository::FindByHandle(
    const std::string& handle) {
  return pool_.RunAutocommit([&](PgTxn& txn) -> std::optional<AccountRecord> {
    pqxx::result r = txn.exec_prepared("acc_find_by_handle", handle);
    if (r.empty()) return std::nullopt;
    return ReadAccount(r[0]);
  });
}

absl::StatusOr<std::optional<AccountRecord>> PgAccountRepository::FindById(
    const std::string& account_id) {
  return pool_.RunAutocommit([&](PgTxn& txn) -> std::optional<AccountRecord> {
    pqxx::result r = txn.exec_prepared("acc_find_by_id", account_id);
    if (r.empty()) return std::nullopt;
    return ReadAccount(r[0]);
  });
}

absl::Status PgAccountRepository::CreateAccount(const AccountRecord& a) {
  return pool_.Run([&](PgTxn& txn) {
    const Credentials& c = a.credentials;
    txn.exec_prepared(
        "acc_create", a.account_id, a.handle, Bytes(c.salt), static_cast<int64_t>(c.kdf.ops_limit),
        static_cast<int64_t>(c.kdf.mem_limit_bytes), c.kdf.algorithm, Bytes(c.verifier),
        Bytes(c.wrapped_identity), a.public_key, a.contact.value_or(""), Micros(a.created_at));
  });
}

namespace {
absl::Status InsertSession(PgTxn& txn, const NewSession& s) {
  pqxx::result r =
      txn.exec_prepared("acc_create_session", s.session_id, s.account_id, s.device_name,
                        Bytes(s.refresh_hash), Micros(s.now), Micros(s.expires_at));
  if (r.affected_rows() == 0) return absl::NotFoundError("account was deleted");
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<std::optional<LoginLookup>> PgAccountRepository::LoginAndCreateSession(
    const std::string& handle, const std::string& verifier, const NewSession& session) {
  return pool_.RunAutocommit([&](PgTxn& txn) -> std::optional<LoginLookup> {
    pqxx::result r = txn.exec_prepared("acc_login", handle, session.session_id, session.device_name,
                                       Bytes(session.refresh_hash), Micros(session.now),
                                       Micros(session.expires_at), Bytes(verifier));
    if (r.empty()) return std::nullopt;
    return LoginLookup{ReadAccount(r[0]), r[0][16].as<bool>()};
  });
}

absl::StatusOr<RefreshResult> PgAccountRepository::RotateRefreshToken(const std::string& session_id,
                                                                      const std::string& old_hash,
                                                                      const std::string& new_hash,
                                                                      absl::Time new_expires_at,
                                                                      absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<RefreshResult> {
    RefreshResult out;
    // Row lock on the session: a concurrent refresh with the same token waits, then no
    // longer matches the live hash and finds the token among the spent ones (reuse).
    pqxx::result live = txn.exec_prepared("acc_refresh_session", session_id, Micros(now));
    if (live.empty()) return out;  // kUnknown
    const std::string account_id = live[0][0].as<std::string>();
    out.last_seen_at = FromMicros(live[0][4].as<int64_t>());
    out.lease_lapsed = live[0][5].as<bool>();
    if (SecureEquals(ReadBytes(live[0][1]), old_hash)) {
      out.session_id = session_id;
      out.account_id = account_id;
      if (live[0][3].as<bool>()) {
        out.outcome = RefreshOutcome::kRevoked;
      } else if (live[0][2].as<bool>()) {
        out.outcome = RefreshOutcome::kExpired;
      } else {
        txn.exec_prepared("acc_refresh_spend", Bytes(old_hash), session_id, Micros(now));
        txn.exec_prepared("acc_session_rotate", session_id, Bytes(new_hash), Micros(now),
                          Micros(new_expires_at));
        out.outcome = RefreshOutcome::kRotated;
      }
      return out;
    }
    // Not the live token: a spent one of this session means it was copied; anything
    // else (forged or altered token) is unknown and must not touch the session.
    pqxx::result spent = txn.exec_prepared("acc_refresh_spent", session_id, Bytes(old_hash));
    if (spent.empty()) return out;
    out.session_id = session_id;
    out.account_id = account_id;
    const absl::Time spent_at = FromMicros(spent[0][1].as<int64_t>());
    if (spent[0][0].as<bool>() && now - spent_at <= kRefreshRetryGrace &&
        !live[0][2].as<bool>() && !live[0][3].as<bool>()) {
      // The retry of a refresh whose answer was lost (a failover, a dropped connection):
      // the live token was never presented, so it is spent in its turn, dated like its
      // predecessor (which stays the latest, and the window does not move), and a new
      // one is issued. Whoever holds the superseded token and presents it later is
      // treated as reuse.
      txn.exec_prepared("acc_refresh_spend", Bytes(ReadBytes(live[0][1])), session_id,
                        Micros(spent_at));
      txn.exec_prepared("acc_session_rotate", session_id, Bytes(new_hash), Micros(now),
                        Micros(new_expires_at));
      out.outcome = RefreshOutcome::kRotated;
      return out;
    }
    txn.exec_prepared("acc_session_revoke_one", session_id, account_id, Micros(now),
                      "refresh_token_reuse");
    out.outcome = RefreshOutcome::kReused;
    return out;
  });
}

absl::Status PgAccountRepository::RenewLease(const std::string& account_id, absl::Time now,
                                             absl::Time stale_before) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_prepared("acc_lease_renew", account_id, Micros(now), Micros(stale_before));
  });
}

absl::StatusOr<bool> PgAccountRepository::IsSessionActive(const std::string& account_id,
                                                          const std::string& session_id,
                                                          absl::Time now) {
  return pool_.RunAutocommit([&](PgTxn& txn) {
    return !txn.exec_prepared("acc_session_active", session_id, account_id, Micros(now)).empty();
  });
}

absl::Status PgAccountRepository::RevokeSession(const std::string& account_id,
                                                const std::string& session_id,
                                                const std::string& reason, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    pqxx::result r =
        txn.exec_prepared("acc_session_revoke_one", session_id, account_id, Micros(now), reason);
    if (r.affected_rows() == 0) return absl::NotFoundError("no active session with that id");
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SessionRecord>> PgAccountRepository::ListActiveSessions(
    const std::string& account_id, absl::Time now) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    std::vector<SessionRecord> out;
    for (const auto& row : txn.exec_prepared("acc_session_list", account_id, Micros(now))) {
      out.push_back(SessionRecord{row[0].as<std::string>(), row[1].as<std::string>(),
                                  FromMicros(row[2].as<int64_t>()),
                                  FromMicros(row[3].as<int64_t>())});
    }
    return out;
  });
}

absl::Status PgAccountRepository::ReplaceCredentials(const std::string& account_id,
                                                     const Credentials& c,
                                                     const std::string& expected_verifier,
                                                     const std::string& keep_session_id,
                                                     const std::optional<NewSession>& new_session,
                                                     const std::string& reason, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    pqxx::result locked = txn.exec_prepared("acc_lock_account", account_id);
    if (locked.empty()) return absl::NotFoundError("account was deleted");
    // Compare-and-swap on the verifier: a concurrent change in between wins.
    if (!expected_verifier.empty() && !SecureEquals(ReadBytes(locked[0][0]), expected_verifier)) {
      return absl::FailedPreconditionError("credentials changed concurrently");
    }
    txn.exec_prepared("acc_update_credentials", account_id, Bytes(c.salt),
                      static_cast<int64_t>(c.kdf.ops_limit),
                      static_cast<int64_t>(c.kdf.mem_limit_bytes), c.kdf.algorithm,
                      Bytes(c.verifier), Bytes(c.wrapped_identity), Micros(now));
    txn.exec_prepared("acc_session_revoke_others", account_id, keep_session_id, Micros(now),
                      reason);
    if (new_session) FH_RETURN_IF_ERROR(InsertSession(txn, *new_session));
    return absl::OkStatus();
  });
}

absl::Status PgAccountRepository::UpgradeCredentials(const std::string& account_id,
                                                     const Credentials& c,
                                                     const std::string& expected_verifier,
                                                     absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    pqxx::result locked = txn.exec_prepared("acc_lock_account", account_id);
    if (locked.empty()) return absl::NotFoundError("account was deleted");
    if (!SecureEquals(ReadBytes(locked[0][0]), expected_verifier)) {
      return absl::FailedPreconditionError("credentials changed concurrently");
    }
    txn.exec_prepared("acc_update_credentials", account_id, Bytes(c.salt),
                      static_cast<int64_t>(c.kdf.ops_limit),
                      static_cast<int64_t>(c.kdf.mem_limit_bytes), c.kdf.algorithm,
                      Bytes(c.verifier), Bytes(c.wrapped_identity), Micros(now));
    return absl::OkStatus();
  });
}

absl::Status PgAccountRepository::SaveRecoveryChallenge(const std::string& challenge_hash,
                                                        const std::string& account_id,
                                                        absl::Time expires_at) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_prepared("acc_challenge_save", Bytes(challenge_hash), account_id, Micros(expires_at));
  });
}

absl::Status PgAccountRepository::ConsumeRecoveryChallenge(const std::string& challenge_hash,
                                                           const std::string& account_id,
                                                           absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    pqxx::result r =
        txn.exec_prepared("acc_challenge_consume", Bytes(challenge_hash), account_id, Micros(now));
    if (r.affected_rows() == 0) return absl::NotFoundError("no usable recovery challenge");
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> PgAccountRepository::DeleteAccount(const std::string& account_id,
                                                           absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<int64_t> {
    pqxx::result r = txn.exec_prepared("acc_delete", account_id, Micros(now));
    if (r.affected_rows() == 0) return absl::NotFoundError("account was deleted");
    txn.exec_prepared("acc_session_revoke_others", account_id, "", Micros(now), "account_deleted");
    return txn.exec_prepared("acc_outbox_insert", account_id, Micros(now))[0][0].as<int64_t>();
  });
}

absl::StatusOr<std::vector<DeletedAccountInfo>> PgAccountRepository::ListDeletedAccounts(
    int64_t after_sequence, int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    std::vector<DeletedAccountInfo> out;
    for (const auto& row : txn.exec_prepared("acc_outbox_list", after_sequence, limit)) {
      out.push_back(DeletedAccountInfo{row[0].as<int64_t>(), row[1].as<std::string>(),
                                       FromMicros(row[2].as<int64_t>())});
    }
    return out;
  });
}

absl::StatusOr<std::vector<RevokedSessionInfo>> PgAccountRepository::ListRevokedSessions(
    int64_t after_sequence, int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    std::vector<RevokedSessionInfo> out;
    for (const auto& row : txn.exec_prepared("acc_revoked_list", after_sequence, limit)) {
      RevokedSessionInfo r;
      r.sequence = row[0].as<int64_t>();
      r.session_id = row[1].as<std::string>();
      r.revoked_at = FromMicros(row[2].as<int64_t>());
      out.push_back(std::move(r));
    }
    return out;
  });
}

absl::Status PgAccountRepository::AckDeletedAccounts(const std::string& consumer,
                                                     int64_t up_to_sequence, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_prepared("acc_outbox_ack", consumer, up_to_sequence, Micros(now));
  });
}

absl::StatusOr<int64_t> PgAccountRepository::CountActiveSessions(absl::Time now) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    return txn.exec_prepared("acc_sessions_count", Micros(now))[0][0].as<int64_t>();
  });
}

absl::StatusOr<int64_t> PgAccountRepository::PurgeExpired(absl::Time now,
                                                          absl::Duration retention) {
  return pool_.Run([&](PgTxn& txn) {
    const int64_t cutoff = Micros(now - retention);
    int64_t n = txn.exec_prepared("acc_purge_sessions", cutoff).affected_rows();
    n += txn.exec_prepared("acc_purge_challenges", cutoff).affected_rows();
    n += txn.exec_prepared("acc_purge_revoked", cutoff).affected_rows();
    n += txn.exec_prepared("acc_purge_throttle", cutoff).affected_rows();
    return n;
  });
}

}  // namespace freehold::accounts
