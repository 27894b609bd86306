// Organizations over PostgreSQL (see pg_org_store.h).
#include "services/accounts/pg/pg_org_store.h"

#include <pqxx/pqxx>
#include <set>

namespace freehold::accounts {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
#define FH_TS(n) "(timestamptz 'epoch' + interval '1 microsecond' * $" #n "::bigint)"

// The organization's generation under a row lock; nullopt if it is gone.
std::optional<int> LockGeneration(PgTxn& txn, const std::string& org_id) {
  pqxx::result r = txn.exec_params(
      "SELECT generation FROM organizations WHERE org_id = $1::uuid FOR UPDATE", org_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<int>();
}

void InsertWrap(PgTxn& txn, const std::string& org_id, const OrgKeyWrap& w) {
  txn.exec_params(
      "INSERT INTO org_key_wraps (org_id, generation, account_id, wrapped) "
      "VALUES ($1::uuid, $2, $3::uuid, $4)",
      org_id, w.generation, w.account_id, pqxx::binarystring(w.wrapped));
}

}  // namespace

absl::Status PgOrgStore::CreateOrg(const OrgRecord& org, const std::string& owner_account_id,
                                   const std::string& wrapped, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_params("INSERT INTO organizations (org_id, name, public_key, generation, "
                    "created_by, created_at, updated_at) VALUES ($1::uuid, $2, $3, $4, "
                    "$5::uuid, " FH_TS(6) ", " FH_TS(6) ")",
                    org.org_id, org.name, org.public_key, org.generation, owner_account_id,
                    Micros(now));
    txn.exec_params("INSERT INTO org_members (org_id, account_id, role, added_by, added_at) "
                    "VALUES ($1::uuid, $2::uuid, 'owner', $2::uuid, " FH_TS(3) ")",
                    org.org_id, owner_account_id, Micros(now));
    InsertWrap(txn, org.org_id, OrgKeyWrap{owner_account_id, org.generation, wrapped});
  });
}

absl::StatusOr<std::optional<OrgRecord>> PgOrgStore::FindOrg(const std::string& name) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> std::optional<OrgRecord> {
    pqxx::result r = txn.exec_params(
        "SELECT org_id::text, name, public_key, generation, rotation_due FROM organizations "
        "WHERE name = $1",
        name);
    if (r.empty()) return std::nullopt;
    return OrgRecord{r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                     r[0][2].as<std::string>(), r[0][3].as<int>(), r[0][4].as<bool>()};
  });
}

absl::StatusOr<std::optional<std::string>> PgOrgStore::RoleOf(const std::string& org_id,
                                                              const std::string& account_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> std::optional<std::string> {
    pqxx::result r = txn.exec_params(
        "SELECT role FROM org_members WHERE org_id = $1::uuid AND account_id = $2::uuid", org_id,
        account_id);
    if (r.empty()) return std::nullopt;
    return r[0][0].as<std::string>();
  });
}

absl::StatusOr<std::vector<OrgMemberInfo>> PgOrgStore::Members(const std::string& org_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    std::vector<OrgMemberInfo> out;
    for (const pqxx::row& row : txn.exec_params(
             "SELECT m.account_id::text, a.handle, coalesce(a.public_key, ''), m.role, "
             "(extract(epoch FROM m.added_at) * 1000000)::bigint FROM org_members m "
             "JOIN accounts a USING (account_id) WHERE m.org_id = $1::uuid ORDER BY a.handle",
             org_id)) {
      out.push_back(OrgMemberInfo{row[0].as<std::string>(), row[1].as<std::string>(),
                                  row[2].as<std::string>(), row[3].as<std::string>(),
                                  absl::FromUnixMicros(row[4].as<int64_t>())});
    }
    return out;
  });
}

absl::StatusOr<std::vector<OrgSummary>> PgOrgStore::OrgsOf(const std::string& account_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    std::vector<OrgSummary> out;
    for (const pqxx::row& row : txn.exec_params(
             "SELECT o.org_id::text, o.name, o.public_key, o.generation, m.role, "
             "(SELECT count(*) FROM org_members c WHERE c.org_id = o.org_id) "
             "FROM org_members m JOIN organizations o USING (org_id) "
             "WHERE m.account_id = $1::uuid ORDER BY o.name",
             account_id)) {
      OrgSummary s;
      s.org = OrgRecord{row[0].as<std::string>(), row[1].as<std::string>(),
                        row[2].as<std::string>(), row[3].as<int>()};
      s.role = row[4].as<std::string>();
      s.members = row[5].as<int>();
      out.push_back(std::move(s));
    }
    return out;
  });
}

absl::StatusOr<std::vector<OrgKeyWrap>> PgOrgStore::KeysOf(const std::string& org_id,
                                                           const std::string& account_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    std::vector<OrgKeyWrap> out;
    for (const pqxx::row& row : txn.exec_params(
             "SELECT generation, wrapped FROM org_key_wraps WHERE org_id = $1::uuid "
             "AND account_id = $2::uuid ORDER BY generation DESC",
             org_id, account_id)) {
      out.push_back(
          OrgKeyWrap{account_id, row[0].as<int>(), pqxx::binarystring(row[1]).str()});
    }
    return out;
  });
}

absl::Status PgOrgStore::AddMember(const std::string& org_id, int expected_generation,
                                   const std::string& account_id, const std::string& role,
                                   const std::string& added_by,
                                   const std::vector<OrgKeyWrap>& wraps, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    std::optional<int> generation = LockGeneration(txn, org_id);
    if (!generation) return absl::NotFoundError("org: no such organization");
    if (*generation != expected_generation) {
      return absl::AbortedError("expected_generation: the organization key changed; re-read it");
    }
    pqxx::result r = txn.exec_params(
        "INSERT INTO org_members (org_id, account_id, role, added_by, added_at) "
        "VALUES ($1::uuid, $2::uuid, $3, $4::uuid, " FH_TS(5) ") ON CONFLICT DO NOTHING",
        org_id, account_id, role, added_by, Micros(now));
    if (r.affected_rows() == 0) return absl::AlreadyExistsError("handle: already a member");
    for (const OrgKeyWrap& w : wraps) InsertWrap(txn, org_id, w);
    return absl::OkStatus();
  });
}

absl::StatusOr<int> PgOrgStore::RemoveMemberAndRotate(const std::string& org_id,
                                                      int expected_generation,
                                                      const std::string& account_id,
                                                      const std::string& new_public_key,
                                                      const std::vector<OrgKeyWrap>& wraps,
                                                      absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<int> {
    std::optional<int> generation = LockGeneration(txn, org_id);
    if (!generation) return absl::NotFoundError("org: no such organization");
    if (*generation != expected_generation) {
      return absl::AbortedError("expected_generation: the organization key changed; re-read it");
    }
    pqxx::result removed = txn.exec_params(
        "DELETE FROM org_members WHERE org_id = $1::uuid AND account_id = $2::uuid", org_id,
        account_id);
    if (removed.affected_rows() == 0) return absl::NotFoundError("handle: not a member");
    std::set<std::string> remaining;
    for (const pqxx::row& row :
         txn.exec_params("SELECT account_id::text FROM org_members WHERE org_id = $1::uuid",
                         org_id)) {
      remaining.insert(row[0].as<std::string>());
    }
    std::set<std::string> wrapped_to;
    for (const OrgKeyWrap& w : wraps) wrapped_to.insert(w.account_id);
    if (wrapped_to != remaining || wraps.size() != remaining.size()) {
      // Returning an error rolls the deletion back.
      return absl::FailedPreconditionError(
          "keys: the new key must be wrapped to exactly the remaining members (re-read them)");
    }
    const int next = *generation + 1;
    txn.exec_params("UPDATE organizations SET generation = $2, public_key = $3, "
                    "rotation_due = false, updated_at = " FH_TS(4) " WHERE org_id = $1::uuid",
                    org_id, next, new_public_key, Micros(now));
    for (const OrgKeyWrap& w : wraps) {
      InsertWrap(txn, org_id, OrgKeyWrap{w.account_id, next, w.wrapped});
    }
    return next;
  });
}

absl::StatusOr<int> PgOrgStore::RotateDue(const std::string& org_id, int expected_generation,
                                          const std::string& new_public_key,
                                          const std::vector<OrgKeyWrap>& wraps, absl::Time now) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<int> {
    pqxx::result r = txn.exec_params(
        "SELECT generation, rotation_due FROM organizations WHERE org_id = $1::uuid FOR UPDATE",
        org_id);
    if (r.empty()) return absl::NotFoundError("org: no such organization");
    const int generation = r[0][0].as<int>();
    if (generation != expected_generation) {
      return absl::AbortedError("expected_generation: the organization key changed; re-read it");
    }
    if (!r[0][1].as<bool>()) {
      return absl::FailedPreconditionError("org: no rotation is due (remove a member instead)");
    }
    std::set<std::string> members;
    for (const pqxx::row& row :
         txn.exec_params("SELECT account_id::text FROM org_members WHERE org_id = $1::uuid",
                         org_id)) {
      members.insert(row[0].as<std::string>());
    }
    std::set<std::string> wrapped_to;
    for (const OrgKeyWrap& w : wraps) wrapped_to.insert(w.account_id);
    if (wrapped_to != members || wraps.size() != members.size()) {
      return absl::FailedPreconditionError(
          "keys: the new key must be wrapped to exactly the members (re-read them)");
    }
    const int next = generation + 1;
    txn.exec_params("UPDATE organizations SET generation = $2, public_key = $3, "
                    "rotation_due = false, updated_at = " FH_TS(4) " WHERE org_id = $1::uuid",
                    org_id, next, new_public_key, Micros(now));
    for (const OrgKeyWrap& w : wraps) {
      InsertWrap(txn, org_id, OrgKeyWrap{w.account_id, next, w.wrapped});
    }
    return next;
  });
}

#undef FH_TS

}  // namespace freehold::accounts
