// Donation intents and the donor's pledges over PostgreSQL (migration 0008; see
// pg_store.h, PgIntentStore).
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations {
namespace {

constexpr char kPledgeColumns[] =
    "p.pledge_id, p.amount_minor, p.currency, p.interval, p.interval_count, "
    "coalesce(p.campaign_id::text, ''), (extract(epoch from p.created_at) * 1000000)::bigint, "
    "(extract(epoch from p.cancelled_at) * 1000000)::bigint, coalesce(p.donor_id::text, ''), "
    "(extract(epoch from p.cancel_requested_at) * 1000000)::bigint";

// The donor's pledges: named by their intent, or paid by their recurring payments.
constexpr char kDonorPledges[] =
    "FROM donations.pledges p WHERE p.donor_id IN (SELECT donations.donor_and_claimed($1::uuid)) OR p.pledge_id IN "
    "(SELECT l.pledge_id FROM donations.ledger l WHERE l.donor_id IN (SELECT donations.donor_and_claimed($1::uuid)) "
    "AND l.pledge_id IS NOT NULL AND l.provider = p.provider)";

std::optional<absl::Time> Micros(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return absl::FromUnixMicros(f.as<int64_t>());
}

Pledge PledgeFromRow(const pqxx::row& row) {
  Pledge p;
  p.info.pledge_id = row[0].as<std::string>();
  p.info.amount_minor = row[1].as<int64_t>();
  p.info.currency = row[2].as<std::string>();
  p.info.interval = row[3].as<std::string>();
  p.info.interval_count = row[4].as<int>();
  p.info.campaign_id = row[5].as<std::string>();
  p.info.created_at = absl::FromUnixMicros(row[6].as<int64_t>());
  p.info.cancelled_at = Micros(row[7]);
  p.info.donor_id = row[8].as<std::string>();
  p.active = !p.info.cancelled_at.has_value();
  return p;
}

}  // namespace

PgIntentStore::PgIntentStore(PgPool& pool, LedgerProjection* projection)
    : pool_(pool), projection_(projection) {}

absl::Status PgIntentStore::CreateIntent(const StoredIntent& intent, absl::string_view token_hash,
                                         absl::string_view name, absl::string_view email) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_params("INSERT INTO donations.donors (donor_id) VALUES ($1::uuid)", intent.donor_id);
    if (!name.empty() || !email.empty()) {
      txn.exec_params(
          "INSERT INTO donations.donor_personal (donor_id, provider, customer_ref, name, email) "
          "VALUES ($1::uuid, 'portal', NULL, NULLIF($2, ''), NULLIF($3, ''))",
          intent.donor_id, std::string(name), std::string(email));
    }
    txn.exec_params(
        "INSERT INTO donations.donor_tokens (token_hash, donor_id) VALUES ($1, $2::uuid)",
        pqxx::binarystring(token_hash.data(), token_hash.size()), intent.donor_id);
    txn.exec_params(
        "INSERT INTO donations.donation_intents (donor_ref, donor_id, amount_minor, currency, "
        "campaign_id, monthly, created_at) VALUES ($1, $2::uuid, $3, $4, NULLIF($5, '')::uuid, "
        "$6, $7::timestamptz)",
        intent.donor_ref, intent.donor_id, intent.amount_minor, intent.currency, intent.campaign_id,
        intent.monthly, pg_internal::TimeParam(intent.created_at));
  });
}

absl::StatusOr<std::optional<std::string>> PgIntentStore::FindDonorByTokenHash(
    absl::string_view token_hash) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r =
        txn.exec_params("SELECT donor_id::text FROM donations.donor_tokens WHERE token_hash = $1",
                        pqxx::binarystring(token_hash.data(), token_hash.size()));
    if (r.empty()) return std::optional<std::string>();
    return std::optional<std::string>(r[0][0].as<std::string>());
  });
}

absl::StatusOr<std::vector<Pledge>> PgIntentStore::ListDonorPledges(absl::string_view donor_id,
                                                                    int offset, int limit) {
  if (projection_ != nullptr) FH_RETURN_IF_ERROR(projection_->CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_params(absl::StrCat("SELECT ", kPledgeColumns, " ", kDonorPledges,
                                                  " ORDER BY p.seq DESC OFFSET $2 LIMIT $3"),
                                     std::string(donor_id), offset, limit);
    std::vector<Pledge> out;
    for (const pqxx::row& row : r) out.push_back(PledgeFromRow(row));
    return out;
  });
}

absl::StatusOr<std::optional<std::pair<Pledge, absl::Time>>> PgIntentStore::RequestPledgeCancel(
    absl::string_view donor_id, absl::string_view provider, absl::string_view pledge_id,
    absl::Time now) {
  if (projection_ != nullptr) FH_RETURN_IF_ERROR(projection_->CatchUp());
  return pool_.Run([&](PgTxn& txn) -> std::optional<std::pair<Pledge, absl::Time>> {
    pqxx::result r = txn.exec_params(
        absl::StrCat("UPDATE donations.pledges p SET cancel_requested_at = "
                     "coalesce(p.cancel_requested_at, $4::timestamptz) WHERE p.provider = $2 AND "
                     "p.pledge_id = $3 AND (p.donor_id IN (SELECT donations.donor_and_claimed($1::uuid)) OR p.pledge_id IN (SELECT "
                     "l.pledge_id FROM donations.ledger l WHERE l.donor_id IN (SELECT donations.donor_and_claimed($1::uuid)) AND "
                     "l.pledge_id = $3 AND l.provider = $2)) RETURNING ",
                     kPledgeColumns),
        std::string(donor_id), std::string(provider), std::string(pledge_id),
        pg_internal::TimeParam(now));
    if (r.empty()) return std::nullopt;
    return std::make_pair(PledgeFromRow(r[0]), Micros(r[0][9]).value_or(now));
  });
}

}  // namespace freehold::donations
