// PostgreSQL intake store: LedgerTxn over one pqxx transaction (see pg_store.h).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/migrations.h"
#include "common/status.h"
#include "freehold_embedded/donations_pg_migrations.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations {
namespace pg_internal {

const char kEntryColumns[] =
    "l.entry_id::text, (extract(epoch from l.at) * 1000000)::bigint, l.kind, l.amount_minor, "
    "l.currency, l.rate_to_base, l.base_amount_minor, coalesce(l.campaign_id::text, ''), "
    "coalesce(l.pledge_id, ''), coalesce(l.donor_id::text, ''), "
    "coalesce(l.reverses_entry_id::text, ''), l.provider, l.provider_event_id, l.payment_ref, "
    "l.seq";

std::string TimeParam(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

LedgerEntry EntryFromRow(const pqxx::row& row) {
  LedgerEntry e;
  e.entry_id = row[0].as<std::string>();
  e.at = absl::FromUnixMicros(row[1].as<int64_t>());
  e.kind = ParseEntryKind(row[2].as<std::string>()).value_or(EntryKind::kOneOff);
  e.amount_minor = row[3].as<int64_t>();
  e.currency = row[4].as<std::string>();
  e.rate_to_base = row[5].as<std::string>();
  e.base_amount_minor = row[6].as<int64_t>();
  e.campaign_id = row[7].as<std::string>();
  e.pledge_id = row[8].as<std::string>();
  e.donor_id = row[9].as<std::string>();
  e.reverses_entry_id = row[10].as<std::string>();
  e.provider = row[11].as<std::string>();
  e.provider_event_id = row[12].as<std::string>();
  e.payment_ref = row[13].as<std::string>();
  return e;
}

}  // namespace pg_internal

namespace {

using pg_internal::TimeParam;

pqxx::binarystring Bytes(absl::string_view s) { return pqxx::binarystring(s.data(), s.size()); }

class PgLedgerTxn : public LedgerTxn {
 public:
  explicit PgLedgerTxn(PgTxn& txn) : txn_(txn) {}

  // Claims the event and, in the same round trip and only once claimed, takes the
  // payment lock (claim first, lock second: the order every transaction uses).
  absl::StatusOr<bool> ClaimEvent(const ProviderEvent& e) override {
    const std::string lock_key =
        e.payment_ref.empty() ? std::string() : PaymentLockKey(e.provider, e.payment_ref);
    pqxx::result r =
        txn_.exec_prepared("dn_claim_event", e.provider, e.event_id, e.type,
                           std::string(EventKindName(e.kind)), TimeParam(e.occurred_at), lock_key);
    if (r.empty()) return false;
    locked_payment_ = lock_key;
    return true;
  }

  absl::Status LockPayment(absl::string_view provider, absl::string_view payment_ref) override {
    const std::string key = PaymentLockKey(provider, payment_ref);
    if (key == locked_payment_) return absl::OkStatus();
    txn_.exec_prepared("dn_lock", key);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<PaymentState>> FindPayment(absl::string_view provider,
                                                          absl::string_view payment_ref) override {
    pqxx::result r =
        txn_.exec_prepared("dn_find_payment", std::string(provider), std::string(payment_ref));
    if (r.empty()) return std::optional<PaymentState>();
    PaymentState state;
    state.payment = pg_internal::EntryFromRow(r[0]);
    state.refunded_minor = r[0][15].as<int64_t>();
    state.charged_back_minor = r[0][16].as<int64_t>();
    return std::optional<PaymentState>(std::move(state));
  }

  absl::StatusOr<std::optional<DecimalRate>> RateAt(absl::string_view currency,
                                                    absl::Time at) override {
    pqxx::result r = txn_.exec_prepared("dn_rate_at", std::string(currency), TimeParam(at));
    if (r.empty()) return std::optional<DecimalRate>();
    absl::StatusOr<DecimalRate> rate = ParseRate(r[0][0].as<std::string>(), "exchange_rates");
    if (!rate.ok()) return absl::InternalError(rate.status().message());
    return std::optional<DecimalRate>(*rate);
  }

  absl::Status AppendEntry(const LedgerEntry& e) override {
    txn_.exec_prepared("dn_append", e.entry_id, TimeParam(e.at), std::string(EntryKindName(e.kind)),
                       e.amount_minor, e.currency, e.rate_to_base, e.base_amount_minor,
                       e.campaign_id, e.pledge_id, e.donor_id, e.reverses_entry_id, e.provider,
                       e.provider_event_id, e.payment_ref);
    return absl::OkStatus();
  }

  absl::Status Park(const ParkedReversal& p) override {
    txn_.exec_prepared("dn_park", p.provider, p.event_id, p.payment_ref,
                       std::string(p.kind == EventKind::kRefund ? "refund" : "dispute"),
                       p.amount_minor, p.currency, TimeParam(p.occurred_at));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<ParkedReversal>> AppendPaymentTakingParked(
      const LedgerEntry& e) override {
    pqxx::result r = txn_.exec_prepared(
        "dn_append_take_parked", e.entry_id, TimeParam(e.at), std::string(EntryKindName(e.kind)),
        e.amount_minor, e.currency, e.rate_to_base, e.base_amount_minor, e.campaign_id, e.pledge_id,
        e.donor_id, e.reverses_entry_id, e.provider, e.provider_event_id, e.payment_ref);
    std::vector<ParkedReversal> out;
    for (const pqxx::row& row : r) {
      ParkedReversal p;
      p.provider = e.provider;
      p.payment_ref = e.payment_ref;
      p.event_id = row[0].as<std::string>();
      p.kind = row[1].as<std::string>() == "refund" ? EventKind::kRefund : EventKind::kDispute;
      p.amount_minor = row[2].as<int64_t>();
      p.currency = row[3].as<std::string>();
      p.occurred_at = absl::FromUnixMicros(row[4].as<int64_t>());
      out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const ParkedReversal& a, const ParkedReversal& b) {
      return a.event_id < b.event_id;
    });
    return out;
  }

  absl::Status StoreForReview(const ProviderEvent& e, absl::string_view raw_body) override {
    txn_.exec_prepared("dn_review", e.provider, e.event_id, e.type, Bytes(raw_body));
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ResolveDonor(absl::string_view provider,
                                           const DonorInfo& donor) override {
    const bool by_customer = !donor.customer_ref.empty();
    const std::string key = by_customer ? donor.customer_ref : donor.email;
    txn_.exec_prepared("dn_lock", absl::StrCat("donor:", provider, ":", key));
    pqxx::result r = txn_.exec_prepared(by_customer ? "dn_donor_by_customer" : "dn_donor_by_email",
                                        std::string(provider), key);
    if (!r.empty()) return r[0][0].as<std::string>();
    std::string donor_id = NewUuid();
    txn_.exec_prepared("dn_insert_donor", donor_id);
    txn_.exec_prepared("dn_insert_personal", donor_id, std::string(provider), donor.customer_ref,
                       donor.name, donor.email);
    return donor_id;
  }

  absl::Status AddDonorToken(absl::string_view donor_id, absl::string_view token_hash) override {
    txn_.exec_prepared("dn_add_token", Bytes(token_hash), std::string(donor_id));
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> FindIntentDonor(absl::string_view donor_ref) override {
    pqxx::result r = txn_.exec_prepared("dn_intent_donor", std::string(donor_ref));
    if (r.empty()) return std::nullopt;
    return r[0][0].as<std::string>();
  }

  absl::Status UpsertPledge(absl::string_view provider, const PledgeInfo& p) override {
    txn_.exec_prepared(
        "dn_upsert_pledge", std::string(provider), p.pledge_id, p.amount_minor, p.currency,
        p.interval, p.interval_count, p.campaign_id, TimeParam(p.created_at),
        p.cancelled_at.has_value() ? TimeParam(*p.cancelled_at) : std::string(), p.donor_id);
    return absl::OkStatus();
  }

 private:
  static std::string PaymentLockKey(absl::string_view provider, absl::string_view payment_ref) {
    return absl::StrCat("payment:", provider, ":", payment_ref);
  }

  PgTxn& txn_;
  std::string locked_payment_;  // lock key already held in this transaction
};

}  // namespace

namespace pg_internal {
std::unique_ptr<LedgerTxn> NewLedgerTxn(PgTxn& txn) { return std::make_unique<PgLedgerTxn>(txn); }
}  // namespace pg_internal

PgPoolOptions DonationsPoolOptions(const std::string& database_url, int size) {
  PgPoolOptions o;
  o.connection_string = database_url;
  o.size = size;
  o.search_path = "donations";
  o.application_name = "freehold-donations";
  const std::string cols = pg_internal::kEntryColumns;
  o.prepared = {
      // The locks (if a key is given) are taken only after the insert succeeded: they
      // read the CTE's row. First the ledger projection's lock, shared (migration 0006:
      // a projection and a transaction reading a payment never overlap), then the
      // payment's.
      {"dn_claim_event",
       "WITH claimed AS (INSERT INTO donations.events (provider, event_id, type, kind, "
       "occurred_at) VALUES ($1, $2, $3, $4, $5::timestamptz) ON CONFLICT DO NOTHING "
       "RETURNING 1 AS one) SELECT CASE WHEN $6 = '' THEN NULL ELSE "
       "pg_advisory_xact_lock_shared(7602, 1) END, CASE WHEN $6 = '' THEN NULL ELSE "
       "pg_advisory_xact_lock(hashtextextended($6, 7601)) END FROM claimed"},
      {"dn_lock",
       "SELECT pg_advisory_xact_lock_shared(7602, 1), "
       "pg_advisory_xact_lock(hashtextextended($1, 7601))"},
      {"dn_project_ledger", "SELECT * FROM donations.project_ledger($1)"},
      // A journal row's entry, in kEntryColumns' order (EntryFromRow).
      {"dn_journal_entry",
       "SELECT entry_id::text, (extract(epoch FROM occurred_at) * 1000000)::bigint, "
       "entry_kind, amount_minor, currency::text, rate_to_base, base_amount_minor, "
       "coalesce(campaign_id::text, ''), coalesce(pledge_id, ''), '', '', provider, event_id, "
       "payment_ref, 0::bigint FROM donations.events WHERE provider = $1 AND event_id = $2 "
       "AND ledger_xid IS NOT NULL"},
      {"dn_journal_lag",
       "SELECT coalesce(extract(epoch FROM clock_timestamp() - min(received_at)), 0)::float8 "
       "FROM donations.ledger_journal_waiting"},
      {"dn_find_payment",
       "SELECT " + cols +
           ", coalesce((SELECT sum(-r.amount_minor) FROM donations.ledger r "
           "WHERE r.reverses_entry_id = l.entry_id AND r.kind = 'refund'), 0)::bigint"
           ", coalesce((SELECT sum(-r.amount_minor) FROM donations.ledger r "
           "WHERE r.reverses_entry_id = l.entry_id AND r.kind = 'chargeback'), 0)::bigint "
           "FROM donations.ledger l WHERE l.provider = $1 AND l.payment_ref = $2 "
           "AND l.kind IN ('one_off', 'recurring')"},
      {"dn_rate_at",
       "SELECT rate_to_base FROM donations.exchange_rates WHERE currency = $1 "
       "AND effective_from <= $2::timestamptz ORDER BY effective_from DESC LIMIT 1"},
      {"dn_append",
       "INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, currency, rate_to_base, "
       "base_amount_minor, campaign_id, pledge_id, donor_id, reverses_entry_id, provider, "
       "provider_event_id, payment_ref) VALUES ($1::uuid, $2::timestamptz, $3, $4, $5, $6, $7, "
       "NULLIF($8, '')::uuid, NULLIF($9, ''), NULLIF($10, '')::uuid, NULLIF($11, '')::uuid, "
       "$12, $13, $14)"},
      {"dn_park",
       "INSERT INTO donations.parked_reversals (provider, event_id, payment_ref, kind, "
       "amount_minor, currency, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz) "
       "ON CONFLICT DO NOTHING"},
      {"dn_append_take_parked",
       "WITH appended AS (INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, "
       "currency, rate_to_base, base_amount_minor, campaign_id, pledge_id, donor_id, "
       "reverses_entry_id, provider, provider_event_id, payment_ref) VALUES ($1::uuid, "
       "$2::timestamptz, $3, $4, $5, $6, $7, NULLIF($8, '')::uuid, NULLIF($9, ''), "
       "NULLIF($10, '')::uuid, NULLIF($11, '')::uuid, $12, $13, $14)) "
       "DELETE FROM donations.parked_reversals WHERE provider = $12 AND payment_ref = $14 "
       "RETURNING event_id, kind, amount_minor, currency, "
       "(extract(epoch from occurred_at) * 1000000)::bigint"},
      {"dn_review",
       "INSERT INTO donations.review_events (provider, event_id, type, raw_body) "
       "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"},
      {"dn_donor_by_customer",
       "SELECT donor_id::text FROM donations.donor_personal WHERE provider = $1 "
       "AND customer_ref = $2"},
      {"dn_donor_by_email",
       "SELECT donor_id::text FROM donations.donor_personal WHERE provider = $1 AND email = $2 "
       "ORDER BY donor_id LIMIT 1"},
      {"dn_insert_donor", "INSERT INTO donations.donors (donor_id) VALUES ($1::uuid)"},
      {"dn_insert_personal",
       "INSERT INTO donations.donor_personal (donor_id, provider, customer_ref, name, email) "
       "VALUES ($1::uuid, $2, NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, ''))"},
      {"dn_add_token",
       "INSERT INTO donations.donor_tokens (token_hash, donor_id) VALUES ($1, $2::uuid)"},
      {"dn_upsert_pledge",
       "INSERT INTO donations.pledges (provider, pledge_id, amount_minor, currency, interval, "
       "interval_count, campaign_id, created_at, cancelled_at, donor_id) VALUES ($1, $2, $3, $4, "
       "$5, $6, NULLIF($7, '')::uuid, $8::timestamptz, NULLIF($9, '')::timestamptz, "
       "NULLIF($10, '')::uuid) "
       "ON CONFLICT (provider, pledge_id) DO UPDATE SET cancelled_at = "
       "coalesce(donations.pledges.cancelled_at, EXCLUDED.cancelled_at), donor_id = "
       "coalesce(donations.pledges.donor_id, EXCLUDED.donor_id)"},
      {"dn_intent_donor",
       "SELECT donor_id::text FROM donations.donation_intents WHERE donor_ref = $1"},
      {"dn_dead_letter",
       "INSERT INTO donations.dead_letters (provider, event_id, reason, raw_body, received_at) "
       "VALUES ($1, NULLIF($2, ''), $3, $4, $5::timestamptz)"},
  };
  for (auto& stmt : pg_internal::QueryStatements()) o.prepared.push_back(std::move(stmt));
  return o;
}

absl::Status MigrateDonationsSchema(PgPool& pool) {
  MigrationRunner runner(pool, "donations", embedded::donations_pg_migrations());
  absl::StatusOr<int> applied = runner.Apply();
  return applied.status();
}

absl::Status PgDonationStore::RunInTransaction(absl::FunctionRef<absl::Status(LedgerTxn&)> body) {
  if (projection_ != nullptr) FH_RETURN_IF_ERROR(projection_->CatchUp());
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    PgLedgerTxn ledger(txn);
    return body(ledger);
  });
}

absl::Status PgDonationStore::StoreDeadLetter(const DeadLetter& d) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_prepared("dn_dead_letter", d.provider, d.event_id, d.reason, Bytes(d.raw_body),
                      TimeParam(d.received_at));
  });
}

}  // namespace freehold::donations
