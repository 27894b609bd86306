#include "coordinator/pg/pg_node_donations.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator {

using pg_internal::FromMicros;
using pg_internal::Micros;

absl::Status PgNodeDonations::Upsert(const NodeDonation& d) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    try {
      txn.exec_params(
          "INSERT INTO node_donations (node_id, donated_by, terms, approved_by, approved_at, "
          "cap_bytes) VALUES ($1, $2, $3, $4, micros_to_ts($5), $6) "
          "ON CONFLICT (node_id) DO UPDATE SET donated_by = EXCLUDED.donated_by, "
          "terms = EXCLUDED.terms, approved_by = EXCLUDED.approved_by, "
          "approved_at = EXCLUDED.approved_at, cap_bytes = EXCLUDED.cap_bytes",
          d.node_id, d.donated_by, d.terms, d.approved_by, Micros(d.approved_at),
          static_cast<int64_t>(d.cap_bytes));
    } catch (const pqxx::foreign_key_violation&) {
      return absl::FailedPreconditionError(
          absl::StrCat("node ", d.node_id, " is not approved (no admission recorded)"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> PgNodeDonations::Remove(const std::string& node_id) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<bool> {
    pqxx::result r = txn.exec_params("DELETE FROM node_donations WHERE node_id = $1", node_id);
    return r.affected_rows() > 0;
  });
}

absl::StatusOr<std::vector<NodeDonation>> PgNodeDonations::List() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<NodeDonation>> {
    std::vector<NodeDonation> out;
    for (const pqxx::row& r :
         txn.exec("SELECT node_id, donated_by, terms, approved_by, ts_to_micros(approved_at), "
                  "cap_bytes FROM node_donations ORDER BY node_id")) {
      NodeDonation d;
      d.node_id = r[0].as<std::string>();
      d.donated_by = r[1].as<std::string>();
      d.terms = r[2].as<std::string>();
      d.approved_by = r[3].as<std::string>();
      d.approved_at = FromMicros(r[4].as<int64_t>());
      d.cap_bytes = static_cast<uint64_t>(r[5].as<int64_t>());
      out.push_back(std::move(d));
    }
    return out;
  });
}

}  // namespace freehold::coordinator
