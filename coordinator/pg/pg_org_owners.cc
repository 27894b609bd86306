#include "coordinator/pg/pg_org_owners.h"

#include <pqxx/pqxx>

namespace freehold::coordinator {

absl::Status PgOrgOwners::Remember(const std::string& org_id) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    txn.exec_params("INSERT INTO org_owners (org_id) VALUES ($1::uuid) ON CONFLICT DO NOTHING",
                    org_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<OrgUsage> PgOrgOwners::Usage() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<OrgUsage> {
    // Committed objects (state 2) owned by a recorded organization.
    pqxx::row r = txn.exec1(
        "SELECT count(DISTINCT o.owner_account_id), count(*), "
        "COALESCE(sum(o.size_bytes), 0)::bigint "
        "FROM objects o JOIN org_owners g ON g.org_id = o.owner_account_id WHERE o.state = 2");
    OrgUsage u;
    u.organizations = static_cast<uint64_t>(r[0].as<int64_t>());
    u.objects = static_cast<uint64_t>(r[1].as<int64_t>());
    u.logical_bytes = static_cast<uint64_t>(r[2].as<int64_t>());
    return u;
  });
}

}  // namespace freehold::coordinator
