// A donor's erasure over PostgreSQL: personal data rows, and the same data inside the
// raw bodies kept for humans and replays (see pg_store.h, pg_internal::EraseDonors).
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations::pg_internal {
namespace {

constexpr size_t kMinBareBytes = 4;  // shorter values are only removed as whole strings

std::string UuidArray(const std::vector<std::string>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");
}

// `body` without `values`: JSON strings equal to one become "", then bare occurrences
// of the longer ones (and of their JSON-escaped forms) are cut out.
std::string Redact(std::string body, const std::set<std::string>& values) {
  for (const std::string& v : values) {
    const std::string quoted = nlohmann::json(v).dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace);
    body = absl::StrReplaceAll(body, {{quoted, "\"\""}});
    const std::string ascii_quoted = nlohmann::json(v).dump(
        -1, ' ', true, nlohmann::json::error_handler_t::replace);  // \uXXXX form
    if (ascii_quoted != quoted) body = absl::StrReplaceAll(body, {{ascii_quoted, "\"\""}});
  }
  for (const std::string& v : values) {
    if (v.size() < kMinBareBytes) continue;
    const std::string quoted = nlohmann::json(v).dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace);
    const std::string escaped = quoted.substr(1, quoted.size() - 2);
    body = absl::StrReplaceAll(body, {{v, ""}});
    if (escaped != v) body = absl::StrReplaceAll(body, {{escaped, ""}});
  }
  return body;
}

}  // namespace

int EraseDonors(PgTxn& txn, const std::vector<std::string>& donor_ids) {
  if (donor_ids.empty()) return 0;
  const std::string ids = UuidArray(donor_ids);
  std::set<std::string> values;
  std::set<std::string> emails;
  for (const pqxx::row& row :
       txn.exec_params("SELECT coalesce(customer_ref, ''), coalesce(name, ''), "
                       "coalesce(email, '') FROM donations.donor_personal "
                       "WHERE donor_id = ANY($1::uuid[]) FOR UPDATE",
                       ids)) {
    for (int i = 0; i < 3; ++i) {
      std::string v = row[i].as<std::string>();
      if (!v.empty()) values.insert(v);
      if (i == 2 && !v.empty()) emails.insert(v);
    }
  }
  for (const pqxx::row& row : txn.exec_params(
           "SELECT DISTINCT email FROM donations.email_claims WHERE donor_id = ANY($1::uuid[])",
           ids)) {
    emails.insert(row[0].as<std::string>());
    values.insert(row[0].as<std::string>());
  }
  // The raw bodies kept for review, for humans and for replay.
  for (const char* table : {"dead_letters", "review_events", "parked_payments"}) {
    for (const std::string& v : values) {
      pqxx::result rows = txn.exec_params(
          absl::StrCat("SELECT ctid::text, raw_body FROM donations.", table,
                       " WHERE position(convert_to($1, 'UTF8') in raw_body) > 0 "
                       "OR position(convert_to(lower($1), 'UTF8') in raw_body) > 0 FOR UPDATE"),
          v);
      for (const pqxx::row& row : rows) {
        pqxx::binarystring raw(row[1]);
        std::string body(reinterpret_cast<const char*>(raw.data()), raw.size());
        std::set<std::string> all = values;
        for (const std::string& e : emails) {
          std::string lower = e;
          for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          all.insert(lower);
        }
        std::string redacted = Redact(body, all);
        if (redacted == body) continue;
        txn.exec_params(absl::StrCat("UPDATE donations.", table,
                                     " SET raw_body = $2 WHERE ctid = $1::tid"),
                        row[0].as<std::string>(),
                        pqxx::binarystring(redacted.data(), redacted.size()));
      }
    }
  }
  // Mail not sent yet and claims naming their addresses; their own claims.
  for (const std::string& e : emails) {
    txn.exec_params("DELETE FROM donations.notification_outbox WHERE lower(recipient) = lower($1)",
                    e);
    txn.exec_params("DELETE FROM donations.email_claims WHERE email = lower($1)", e);
  }
  txn.exec_params("DELETE FROM donations.email_claims WHERE donor_id = ANY($1::uuid[])", ids);
  return static_cast<int>(
      txn.exec_params("DELETE FROM donations.donor_personal WHERE donor_id = ANY($1::uuid[])", ids)
          .affected_rows());
}

}  // namespace freehold::donations::pg_internal
