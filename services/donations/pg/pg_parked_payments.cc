// PgDonationStore: payments parked for want of an exchange rate (migration 0009).
#include <pqxx/pqxx>

#include "services/donations/pg/pg_store.h"

namespace freehold::donations {

absl::Status PgDonationStore::ParkPayment(const ParkedPayment& p) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_params(
        "INSERT INTO donations.parked_payments (provider, event_id, currency, occurred_at, "
        "reason, raw_body) VALUES ($1, $2, $3, $4::timestamptz, $5, $6) "
        "ON CONFLICT (provider, event_id) DO NOTHING",
        p.provider, p.event_id, p.currency, pg_internal::TimeParam(p.occurred_at), p.reason,
        pqxx::binarystring(p.raw_body.data(), p.raw_body.size()));
  });
}

absl::StatusOr<std::vector<ParkedPayment>> PgDonationStore::ParkedPayments(int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<ParkedPayment>> {
    pqxx::result r = txn.exec_params(
        "SELECT provider, event_id, currency::text, "
        "(extract(epoch FROM occurred_at) * 1000000)::bigint, reason, raw_body "
        "FROM donations.parked_payments ORDER BY parked_at, provider, event_id LIMIT $1",
        limit);
    std::vector<ParkedPayment> out;
    for (const pqxx::row& row : r) {
      ParkedPayment p;
      p.provider = row[0].as<std::string>();
      p.event_id = row[1].as<std::string>();
      p.currency = row[2].as<std::string>();
      p.occurred_at = absl::FromUnixMicros(row[3].as<int64_t>());
      p.reason = row[4].as<std::string>();
      pqxx::binarystring body(row[5]);
      p.raw_body = body.str();
      out.push_back(std::move(p));
    }
    return out;
  });
}

absl::Status PgDonationStore::RemoveParkedPayment(absl::string_view provider,
                                                  absl::string_view event_id) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_params("DELETE FROM donations.parked_payments WHERE provider = $1 AND event_id = $2",
                    std::string(provider), std::string(event_id));
  });
}

}  // namespace freehold::donations
