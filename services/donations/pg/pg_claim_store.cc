// Claims of past donations by e-mail and the notification outbox over PostgreSQL
// (migration 0010; see pg_store.h, PgClaimStore).
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations {
namespace {

std::string Bytes(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

PgClaimStore::PgClaimStore(PgPool& pool, LedgerProjection* projection)
    : pool_(pool), projection_(projection) {}

absl::StatusOr<std::optional<std::string>> PgClaimStore::FindDonorByTokenHash(
    absl::string_view token_hash) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r =
        txn.exec_params("SELECT donor_id::text FROM donations.donor_tokens WHERE token_hash = $1",
                        pqxx::binarystring(token_hash.data(), token_hash.size()));
    if (r.empty()) return std::optional<std::string>();
    return std::optional<std::string>(r[0][0].as<std::string>());
  });
}

absl::StatusOr<std::pair<int, int>> PgClaimStore::RecentClaims(absl::string_view donor_id,
                                                               absl::string_view email,
                                                               absl::Time since) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::row r = txn.exec_params1(
        "SELECT (SELECT count(*) FROM donations.email_claims WHERE donor_id = $1::uuid AND "
        "created_at > $3::timestamptz), (SELECT count(*) FROM donations.email_claims WHERE "
        "email = $2 AND created_at > $3::timestamptz)",
        std::string(donor_id), std::string(email), pg_internal::TimeParam(since));
    return std::make_pair(r[0].as<int>(), r[1].as<int>());
  });
}

absl::StatusOr<bool> PgClaimStore::OtherDonorsWithEmail(absl::string_view donor_id,
                                                        absl::string_view email) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    return txn
        .exec_params1(
            "SELECT EXISTS (SELECT 1 FROM donations.donor_personal WHERE email IS NOT NULL AND "
            "lower(email) = lower($2) AND donor_id <> $1::uuid)",
            std::string(donor_id), std::string(email))[0]
        .as<bool>();
  });
}

absl::Status PgClaimStore::CreateClaim(const EmailClaim& c,
                                       const std::optional<Notification>& n) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_params(
        "INSERT INTO donations.email_claims (claim_id, donor_id, email, code_hash, created_at, "
        "expires_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5::timestamptz, $6::timestamptz)",
        c.claim_id, c.donor_id, c.email,
        pqxx::binarystring(c.code_hash.data(), c.code_hash.size()),
        pg_internal::TimeParam(c.created_at), pg_internal::TimeParam(c.expires_at));
    if (n.has_value()) {
      txn.exec_params(
          "INSERT INTO donations.notification_outbox (kind, recipient, subject, body, "
          "created_at) VALUES ($1, $2, $3, $4, $5::timestamptz)",
          n->kind, n->recipient, n->subject, n->body, pg_internal::TimeParam(n->created_at));
    }
  });
}

absl::StatusOr<std::optional<std::pair<EmailClaim, ClaimLinks>>> PgClaimStore::ConfirmClaim(
    absl::string_view claim_id, absl::string_view donor_id,
    const std::function<ClaimVerdict(const EmailClaim&)>& decide, absl::Time now) {
  if (projection_ != nullptr) FH_RETURN_IF_ERROR(projection_->CatchUp());
  return pool_.Run([&](PgTxn& txn) -> std::optional<std::pair<EmailClaim, ClaimLinks>> {
    pqxx::result r = txn.exec_params(
        "SELECT email, code_hash, (extract(epoch from created_at) * 1000000)::bigint, "
        "(extract(epoch from expires_at) * 1000000)::bigint, attempts, "
        "(extract(epoch from consumed_at) * 1000000)::bigint FROM donations.email_claims "
        "WHERE claim_id = $1::uuid AND donor_id = $2::uuid FOR UPDATE",
        std::string(claim_id), std::string(donor_id));
    if (r.empty()) return std::nullopt;
    EmailClaim c;
    c.claim_id = std::string(claim_id);
    c.donor_id = std::string(donor_id);
    c.email = r[0][0].as<std::string>();
    c.code_hash = Bytes(r[0][1]);
    c.created_at = absl::FromUnixMicros(r[0][2].as<int64_t>());
    c.expires_at = absl::FromUnixMicros(r[0][3].as<int64_t>());
    c.attempts = r[0][4].as<int>();
    if (!r[0][5].is_null()) c.consumed_at = absl::FromUnixMicros(r[0][5].as<int64_t>());
    ClaimLinks links;
    switch (decide(c)) {
      case ClaimVerdict::kRefuse:
        break;
      case ClaimVerdict::kWrongCode:
        txn.exec_params(
            "UPDATE donations.email_claims SET attempts = attempts + 1 WHERE claim_id = $1::uuid",
            c.claim_id);
        ++c.attempts;
        break;
      case ClaimVerdict::kAccept: {
        txn.exec_params(
            "UPDATE donations.email_claims SET consumed_at = $2::timestamptz WHERE claim_id = "
            "$1::uuid",
            c.claim_id, pg_internal::TimeParam(now));
        c.consumed_at = now;
        links.donors = txn.exec_params(
                              "INSERT INTO donations.donor_claims (donor_id, claimed_donor_id, "
                              "claimed_at) SELECT DISTINCT $1::uuid, p.donor_id, $3::timestamptz FROM "
                              "donations.donor_personal p WHERE p.email IS NOT NULL AND "
                              "lower(p.email) = $2 AND p.donor_id <> $1::uuid "
                              "ON CONFLICT DO NOTHING",
                              c.donor_id, c.email, pg_internal::TimeParam(now))
                           .affected_rows();
        links.payments =
            txn.exec_params1(
                   "SELECT count(*) FROM donations.ledger l WHERE l.kind IN ('one_off', "
                   "'recurring') AND l.donor_id IN (SELECT claimed_donor_id FROM "
                   "donations.donor_claims WHERE donor_id = $1::uuid)",
                   c.donor_id)[0]
                .as<int>();
        break;
      }
    }
    return std::make_pair(std::move(c), links);
  });
}

absl::StatusOr<std::vector<Notification>> PgClaimStore::PendingNotifications(int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_params(
        "SELECT id, kind, recipient, subject, body, "
        "(extract(epoch from created_at) * 1000000)::bigint FROM donations.notification_outbox "
        "ORDER BY id LIMIT $1",
        limit);
    std::vector<Notification> out;
    for (const pqxx::row& row : r) {
      Notification n;
      n.id = row[0].as<int64_t>();
      n.kind = row[1].as<std::string>();
      n.recipient = row[2].as<std::string>();
      n.subject = row[3].as<std::string>();
      n.body = row[4].as<std::string>();
      n.created_at = absl::FromUnixMicros(row[5].as<int64_t>());
      out.push_back(std::move(n));
    }
    return out;
  });
}

absl::StatusOr<int> PgClaimStore::AckNotifications(const std::vector<int64_t>& ids) {
  return pool_.Run([&](PgTxn& txn) {
    return static_cast<int>(
        txn.exec_params("DELETE FROM donations.notification_outbox WHERE id = ANY($1::bigint[])",
                        absl::StrCat("{", absl::StrJoin(ids, ","), "}"))
            .affected_rows());
  });
}

}  // namespace freehold::donations
