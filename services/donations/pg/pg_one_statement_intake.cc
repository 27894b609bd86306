// PostgreSQL one-statement intake: a group-commit batch of webhook events applied by
// donations.intake_fast(jsonb) (pg/migrations/0002_one_statement_intake.sql) in one
// autocommit statement, i.e. one transaction and one round trip (see pg_store.h).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations {
namespace {

using json = nlohmann::json;

constexpr char kIntakeStatement[] = "dn_intake_fast";
constexpr char kIntakeSql[] =
    "SELECT o_ord, o_result, coalesce(o_donor_id, ''), coalesce(o_rate, ''), "
    "coalesce(o_base, 0), coalesce(o_detail, '') FROM donations.intake_fast($1::jsonb)";

// The JSON object the SQL function reads (keys are its contract).
json EventJson(const FastIntakeEvent& e) {
  json j = {{"provider", e.provider},
            {"event_id", e.event_id},
            {"type", e.type},
            {"kind", e.kind},
            {"occurred_at", pg_internal::TimeParam(e.occurred_at)},
            {"payment_ref", e.payment_ref},
            {"claim_only", e.claim_only}};
  if (e.claim_only) return j;
  j["entry_id"] = e.entry.entry_id;
  j["entry_kind"] = std::string(EntryKindName(e.entry.kind));
  j["amount_minor"] = e.entry.amount_minor;
  j["currency"] = e.entry.currency;
  j["campaign_id"] = e.entry.campaign_id;
  j["pledge_id"] = e.entry.pledge_id;
  j["digits"] = e.currency_digits;
  j["base_digits"] = e.base_digits;
  j["base_currency"] = e.base_currency;
  if (e.donor.identified()) {
    // As PgLedgerTxn::ResolveDonor: by customer id, else by e-mail.
    const bool by_customer = !e.donor.customer_ref.empty();
    j["donor_by"] = by_customer ? "customer" : "email";
    j["donor_key"] = by_customer ? e.donor.customer_ref : e.donor.email;
    j["customer_ref"] = e.donor.customer_ref;
    j["name"] = e.donor.name;
    j["email"] = e.donor.email;
    j["new_donor_id"] = e.new_donor_id;
    j["token_hash"] = HexEncode(e.token_hash);
  } else {
    j["donor_by"] = "";
  }
  return j;
}

}  // namespace

std::unique_ptr<PgAutocommitPool> NewOneStatementIntakePool(const PgPoolOptions& pool_options,
                                                            int size) {
  PgPoolOptions options = pool_options;
  options.prepared = {{kIntakeStatement, kIntakeSql}};
  return std::make_unique<PgAutocommitPool>(std::move(options), size);
}

int PgDonationStore::FastConcurrency() const {
  return one_statement_ == nullptr ? 0 : one_statement_->size();
}

absl::StatusOr<std::vector<FastIntakeOutcome>> PgDonationStore::ApplyFast(
    const std::vector<const FastIntakeEvent*>& events) {
  if (one_statement_ == nullptr) return DonationStore::ApplyFast(events);
  // Sorted by payment: two batches touching the same payments lock them in one order.
  std::vector<size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(events[a]->provider, events[a]->payment_ref) <
           std::tie(events[b]->provider, events[b]->payment_ref);
  });
  json batch = json::array();
  for (size_t i : order) batch.push_back(EventJson(*events[i]));
  const std::string param = batch.dump(-1, ' ', false, json::error_handler_t::replace);

  std::vector<FastIntakeOutcome> out(events.size());
  absl::Status s = one_statement_->Run([&](pqxx::nontransaction& tx) -> absl::Status {
    pqxx::result r = tx.exec_prepared(kIntakeStatement, param);
    if (r.size() != events.size()) {
      return absl::InternalError(absl::StrCat("donations.intake_fast answered ", r.size(),
                                              " rows for ", events.size(), " events"));
    }
    std::vector<bool> seen(events.size(), false);
    for (const pqxx::row& row : r) {
      const int ord = row[0].as<int>();
      if (ord < 0 || static_cast<size_t>(ord) >= order.size() || seen[ord]) {
        return absl::InternalError("donations.intake_fast answered an unknown position");
      }
      seen[ord] = true;
      const FastIntakeEvent& event = *events[order[ord]];
      FastIntakeOutcome& o = out[order[ord]];
      const std::string result = row[1].as<std::string>();
      if (result == "duplicate") {
        o.result = FastIntakeResult::kDuplicate;
      } else if (result == "claimed") {
        o.result = FastIntakeResult::kClaimed;
      } else if (result == "recorded") {
        o.result = FastIntakeResult::kRecorded;
        o.entry = event.entry;
        o.entry.donor_id = row[2].as<std::string>();
        o.entry.rate_to_base = row[3].as<std::string>();
        o.entry.base_amount_minor = row[4].as<int64_t>();
      } else {
        o.result = FastIntakeResult::kNeedsTransaction;
        o.reason = row[5].as<std::string>();
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace freehold::donations
