// Roles over PostgreSQL (see pg_role_store.h).
#include "services/accounts/pg/pg_role_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace freehold::accounts {
namespace {

// The live account with this handle, or NOT_FOUND.
absl::StatusOr<std::string> LiveAccount(PgTxn& txn, const std::string& handle) {
  pqxx::result r = txn.exec_params(
      "SELECT account_id::text FROM accounts WHERE handle = $1 AND deleted_at IS NULL", handle);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("handle: no account \"", handle, "\""));
  return r[0][0].as<std::string>();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PgRoleStore::RolesOf(const std::string& account_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<std::string>> {
    pqxx::result r = txn.exec_params(
        "SELECT r.role FROM account_roles r JOIN accounts a USING (account_id) "
        "WHERE r.account_id = $1::uuid AND a.deleted_at IS NULL ORDER BY r.role",
        account_id);
    std::vector<std::string> out;
    for (const pqxx::row& row : r) out.push_back(row[0].as<std::string>());
    return out;
  });
}

absl::StatusOr<bool> PgRoleStore::GrantRole(const std::string& handle, const std::string& role,
                                            const std::string& granted_by, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> account = LiveAccount(txn, handle);
    if (!account.ok()) return account.status();
    pqxx::result r = txn.exec_params(
        "INSERT INTO account_roles (account_id, role, granted_by, granted_at) "
        "VALUES ($1::uuid, $2, NULLIF($3, '')::uuid, "
        "timestamptz 'epoch' + interval '1 microsecond' * $4::bigint) "
        "ON CONFLICT (account_id, role) DO NOTHING",
        *account, role, granted_by, absl::ToUnixMicros(now));
    return r.affected_rows() == 1;
  });
}

absl::StatusOr<bool> PgRoleStore::RevokeRole(const std::string& handle, const std::string& role) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> account = LiveAccount(txn, handle);
    if (!account.ok()) return account.status();
    pqxx::result r = txn.exec_params(
        "DELETE FROM account_roles WHERE account_id = $1::uuid AND role = $2", *account, role);
    return r.affected_rows() == 1;
  });
}

absl::StatusOr<std::vector<RoleGrant>> PgRoleStore::ListRoles() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<RoleGrant>> {
    pqxx::result r = txn.exec(
        "SELECT r.account_id::text, a.handle, r.role, coalesce(r.granted_by::text, ''), "
        "(extract(epoch FROM r.granted_at) * 1000000)::bigint FROM account_roles r "
        "JOIN accounts a USING (account_id) WHERE a.deleted_at IS NULL "
        "ORDER BY a.handle, r.role");
    std::vector<RoleGrant> out;
    for (const pqxx::row& row : r) {
      out.push_back(RoleGrant{row[0].as<std::string>(), row[1].as<std::string>(),
                              row[2].as<std::string>(), row[3].as<std::string>(),
                              absl::FromUnixMicros(row[4].as<int64_t>())});
    }
    return out;
  });
}

}  // namespace freehold::accounts
