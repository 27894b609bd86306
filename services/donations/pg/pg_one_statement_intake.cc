// PostgreSQL one-statement intake: a group-commit batch of webhook events applied in one
// autocommit statement, i.e. one transaction and one round trip (see pg_store.h):
// the journal statement (migration 0006) for batches without identified donors, else,
// or if that statement raises, donations.intake_fast(jsonb) (migrations 0002, 0003).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "services/donations/pg/pg_journal_statement.h"
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

// Reads the statement's rows (o_ord, o_result, donor, rate, base, detail) into `out`,
// where row o_ord is the event events[order[o_ord]].
absl::Status ReadOutcomes(const pqxx::result& r, const std::vector<const FastIntakeEvent*>& events,
                          const std::vector<size_t>& order, std::vector<FastIntakeOutcome>& out) {
  if (r.size() != order.size()) {
    return absl::InternalError(absl::StrCat("the intake statement answered ", r.size(),
                                            " rows for ", order.size(), " events"));
  }
  std::vector<bool> seen(order.size(), false);
  for (const pqxx::row& row : r) {
    const int ord = row[0].as<int>();
    if (ord < 0 || static_cast<size_t>(ord) >= order.size() || seen[ord]) {
      return absl::InternalError("the intake statement answered an unknown position");
    }
    seen[ord] = true;
    const FastIntakeEvent& event = *events[order[ord]];
    FastIntakeOutcome& o = out[order[ord]];
    o = FastIntakeOutcome();
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
}

// The elements of a one-dimensional array column (NULL elements as "").
std::vector<std::string> ArrayElements(const pqxx::field& f) {
  std::vector<std::string> out;
  pqxx::array_parser parser = f.as_array();
  for (int guard = 0; guard < 1 << 20; ++guard) {
    auto [what, value] = parser.get_next();
    if (what == pqxx::array_parser::juncture::done) break;
    if (what == pqxx::array_parser::juncture::string_value) out.push_back(std::move(value));
    if (what == pqxx::array_parser::juncture::null_value) out.emplace_back();
  }
  return out;
}

// Reads the journal statement's answer (one letter per event, the rates and base amounts) into
// `out`, where letter k is the event events[order[k]].
absl::Status ReadArrayOutcomes(const pqxx::result& r,
                               const std::vector<const FastIntakeEvent*>& events,
                               const std::vector<size_t>& order,
                               std::vector<FastIntakeOutcome>& out) {
  if (r.size() != 1) return absl::InternalError("the intake statement answered no row");
  const std::string results = r[0][0].as<std::string>();
  if (results.size() != order.size()) {
    return absl::InternalError(absl::StrCat("the intake statement answered ", results.size(),
                                            " outcomes for ", order.size(), " events"));
  }
  std::vector<std::string> rates, bases;  // parsed only if a rate was looked up
  for (size_t k = 0; k < order.size(); ++k) {
    const FastIntakeEvent& event = *events[order[k]];
    FastIntakeOutcome& o = out[order[k]];
    o = FastIntakeOutcome();
    switch (results[k]) {
      case 'd':
        o.result = FastIntakeResult::kDuplicate;
        break;
      case 'c':
        o.result = FastIntakeResult::kClaimed;
        break;
      case 'r':
        o.result = FastIntakeResult::kRecorded;
        o.entry = event.entry;
        if (event.base_currency) {
          o.entry.rate_to_base = "1";
          o.entry.base_amount_minor = event.entry.amount_minor;
        } else {
          if (rates.empty()) {
            rates = ArrayElements(r[0][1]);
            bases = ArrayElements(r[0][2]);
          }
          int64_t base = 0;
          if (rates.size() != order.size() || bases.size() != order.size() || rates[k].empty() ||
              !absl::SimpleAtoi(bases[k], &base)) {
            return absl::InternalError("the intake statement answered no rate for an entry");
          }
          o.entry.rate_to_base = rates[k];
          o.entry.base_amount_minor = base;
        }
        break;
      case 't':
        o.result = FastIntakeResult::kNeedsTransaction;
        o.reason = "parked reversals wait for the payment, or no usable exchange rate";
        break;
      default:
        return absl::InternalError("the intake statement answered an unknown outcome");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<PgPool> NewOneStatementIntakePool(const PgPoolOptions& pool_options, int size) {
  PgPoolOptions options = pool_options;
  options.size = size;
  // The journal statements' custom plans (re-planned on every call) cost several times
  // more than running them.
  options.session_settings.emplace_back("plan_cache_mode", "force_generic_plan");
  options.prepared = {{kIntakeStatement, kIntakeSql}};
  // libpqxx prepares each on its first use.
  for (int n = 1; n <= pg_internal::kJournalMaxEvents; ++n) {
    options.prepared.emplace_back(pg_internal::JournalStatementName(n),
                                  pg_internal::JournalStatementSql(n));
  }
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
  std::vector<const FastIntakeEvent*> sent;
  sent.reserve(order.size());
  for (size_t i : order) sent.push_back(events[i]);
  std::vector<FastIntakeOutcome> out(events.size());
  absl::Status s = absl::UnknownError("not run");
  // Without identified donors: the journal statement (migration 0006). If it raises
  // (parked reversals wait for a payment, a CHECK, ...), nothing of it remains and the
  // batch goes to the jsonb statement, which applies each event on its own.
  const bool donors = std::any_of(sent.begin(), sent.end(),
                                  [](const FastIntakeEvent* e) { return e->donor.identified(); });
  // The journal needs a projection to reach the ledger; without one the jsonb statement
  // writes the ledger directly.
  if (!donors && projection_ != nullptr &&
      sent.size() <= static_cast<size_t>(pg_internal::kJournalMaxEvents)) {
    const pg_internal::JournalParams params(sent);
    bool answered = false;  // the statement returned rows: it is committed (autocommit)
    s = one_statement_->RunAutocommit([&](PgTxn& tx) -> absl::Status {
      pqxx::result r =
          tx.exec_prepared(pg_internal::JournalStatementName(static_cast<int>(sent.size())),
                           pqxx::prepare::make_dynamic_params(params.pointers()));
      answered = true;
      return ReadArrayOutcomes(r, events, order, out);
    });
    // A committed batch whose answer can't be read must not run again (every event would
    // come back as a duplicate): only a statement that raised falls back.
    if (answered && !s.ok()) return s;
    if (s.code() == absl::StatusCode::kUnavailable ||
        s.code() == absl::StatusCode::kDeadlineExceeded) {
      return s;  // the database is unwell: the other statement would fail too
    }
  }
  if (!s.ok()) {
    std::string param = "[";
    param.reserve(400 * sent.size() + 2);
    for (size_t k = 0; k < sent.size(); ++k) {
      if (k > 0) param += ',';
      AppendEventJson(param, *sent[k]);
    }
    param += ']';
    s = one_statement_->RunAutocommit([&](PgTxn& tx) -> absl::Status {
      return ReadOutcomes(tx.exec_prepared(kIntakeStatement, param), events, order, out);
    });
  }
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
