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

// Appends `value` as a JSON string. ASCII is escaped here (the hot path); anything else
// goes through nlohmann, which replaces invalid UTF-8 (PostgreSQL's jsonb refuses it).
void AppendJsonString(std::string& out, absl::string_view value) {
  const bool ascii = std::all_of(value.begin(), value.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) {
    out += json(std::string(value)).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// One "key":value member, with a leading comma unless it is the first.
void Key(std::string& out, absl::string_view key) {
  if (out.back() != '{') out += ',';
  out += '"';
  out.append(key.data(), key.size());
  out += "\":";
}
void Member(std::string& out, absl::string_view key, absl::string_view value) {
  Key(out, key);
  AppendJsonString(out, value);
}
void IntMember(std::string& out, absl::string_view key, int64_t value) {
  Key(out, key);
  absl::StrAppend(&out, value);
}
void BoolMember(std::string& out, absl::string_view key, bool value) {
  Key(out, key);
  out += value ? "true" : "false";
}

// Appends the JSON object the SQL function reads (keys are its contract).
void AppendEventJson(std::string& out, const FastIntakeEvent& e) {
  out += '{';
  Member(out, "provider", e.provider);
  Member(out, "event_id", e.event_id);
  Member(out, "type", e.type);
  Member(out, "kind", e.kind);
  Member(out, "occurred_at", pg_internal::TimeParam(e.occurred_at));
  Member(out, "payment_ref", e.payment_ref);
  BoolMember(out, "claim_only", e.claim_only);
  if (!e.claim_only) {
    Member(out, "entry_id", e.entry.entry_id);
    Member(out, "entry_kind", EntryKindName(e.entry.kind));
    IntMember(out, "amount_minor", static_cast<int64_t>(e.entry.amount_minor));
    Member(out, "currency", e.entry.currency);
    Member(out, "campaign_id", e.entry.campaign_id);
    Member(out, "pledge_id", e.entry.pledge_id);
    IntMember(out, "digits", static_cast<int64_t>(e.currency_digits));
    IntMember(out, "base_digits", static_cast<int64_t>(e.base_digits));
    BoolMember(out, "base_currency", e.base_currency);
    if (e.donor.identified()) {
      // As PgLedgerTxn::ResolveDonor: by customer id, else by e-mail.
      const bool by_customer = !e.donor.customer_ref.empty();
      Member(out, "donor_by", by_customer ? "customer" : "email");
      Member(out, "donor_key", by_customer ? e.donor.customer_ref : e.donor.email);
      Member(out, "customer_ref", e.donor.customer_ref);
      Member(out, "name", e.donor.name);
      Member(out, "email", e.donor.email);
      Member(out, "new_donor_id", e.new_donor_id);
      Member(out, "token_hash", HexEncode(e.token_hash));
    } else {
      Member(out, "donor_by", "");
    }
  }
  out += '}';
}

}  // namespace

std::unique_ptr<PgPool> NewOneStatementIntakePool(const PgPoolOptions& pool_options, int size) {
  PgPoolOptions options = pool_options;
  options.size = size;
  options.prepared = {{kIntakeStatement, kIntakeSql}};
  return std::make_unique<PgPool>(std::move(options));
}

int PgDonationStore::FastConcurrency() const {
  return one_statement_ == nullptr ? 0 : one_statement_->options().size;
}

absl::StatusOr<std::vector<FastIntakeOutcome>> PgDonationStore::ApplyFast(
    const std::vector<const FastIntakeEvent*>& events) {
  if (one_statement_ == nullptr) return DonationStore::ApplyFast(events);
  // Sorted by payment, then event id: two batches touching the same payments claim the
  // events and take the payment locks in one order. A repeated delivery of an id in the
  // batch is not sent (the set-based statement takes each id once); it answers
  // duplicate, or, like its first delivery, needs the transaction path.
  std::vector<size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(events[a]->provider, events[a]->payment_ref, events[a]->event_id) <
           std::tie(events[b]->provider, events[b]->payment_ref, events[b]->event_id);
  });
  std::vector<std::pair<size_t, size_t>> repeats;  // (repeat, first delivery)
  {
    std::vector<size_t> firsts;
    firsts.reserve(order.size());
    for (size_t i : order) {
      auto same_id = [&](size_t f) {
        return events[f]->event_id == events[i]->event_id &&
               events[f]->provider == events[i]->provider;
      };
      auto first = std::find_if(firsts.begin(), firsts.end(), same_id);
      if (first == firsts.end()) {
        firsts.push_back(i);
      } else {
        repeats.emplace_back(i, *first);
      }
    }
    order = std::move(firsts);
  }
  std::string param = "[";
  param.reserve(400 * order.size() + 2);
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) param += ',';
    AppendEventJson(param, *events[order[k]]);
  }
  param += ']';

  std::vector<FastIntakeOutcome> out(events.size());
  absl::Status s = one_statement_->RunAutocommit([&](PgTxn& tx) -> absl::Status {
    pqxx::result r = tx.exec_prepared(kIntakeStatement, param);
    if (r.size() != order.size()) {
      return absl::InternalError(absl::StrCat("donations.intake_fast answered ", r.size(),
                                              " rows for ", order.size(), " events"));
    }
    std::vector<bool> seen(order.size(), false);
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
  for (const auto& [repeat, first] : repeats) {
    if (out[first].result == FastIntakeResult::kNeedsTransaction) {
      out[repeat].result = FastIntakeResult::kNeedsTransaction;
      out[repeat].reason = out[first].reason;
    } else {
      out[repeat].result = FastIntakeResult::kDuplicate;
    }
  }
  return out;
}

}  // namespace freehold::donations
