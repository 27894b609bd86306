// Test helpers for the donations service (see donations_test_support.h).
#include "tests/donations/donations_test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/metrics.h"
#include "services/donations/core/webhook_signature.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::donations::testing {
namespace {

using json = nlohmann::json;

json NullOr(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string Envelope(const std::string& event_id, const std::string& type, int64_t created,
                     json object, const std::string& api_version = "2024-06-20") {
  json e = {{"id", event_id},
            {"object", "event"},
            {"api_version", api_version},
            {"created", created},
            {"data", {{"object", std::move(object)}}},
            {"livemode", false},
            {"pending_webhooks", 1},
            {"request", {{"id", nullptr}, {"idempotency_key", nullptr}}},
            {"type", type}};
  return e.dump(2);
}

}  // namespace

std::string PaymentIntentSucceeded(const PaymentSpec& s) {
  json metadata = json::object();
  for (const auto& [k, v] : s.metadata) metadata[k] = v;
  json pi = {{"id", s.payment_intent},
             {"object", "payment_intent"},
             {"amount", s.amount},
             {"amount_received", s.amount},
             {"capture_method", "automatic"},
             {"created", s.created},
             {"currency", s.currency},
             {"customer", NullOr(s.customer)},
             {"description", "Donation to Freehold"},
             {"invoice", nullptr},
             {"latest_charge", "ch_" + s.payment_intent.substr(3)},
             {"livemode", false},
             {"metadata", metadata},
             {"payment_method_types", {"card"}},
             {"receipt_email", NullOr(s.receipt_email)},
             {"status", "succeeded"}};
  return Envelope(s.event_id, "payment_intent.succeeded", s.created, std::move(pi));
}

std::string InvoicePaid(const InvoiceSpec& s) {
  json invoice = {{"id", s.invoice_id},
                  {"object", "invoice"},
                  {"amount_due", s.amount_paid},
                  {"amount_paid", s.amount_paid},
                  {"amount_remaining", 0},
                  {"billing_reason", "subscription_cycle"},
                  {"charge", "ch_" + s.invoice_id},
                  {"created", s.created},
                  {"currency", s.currency},
                  {"customer", NullOr(s.customer)},
                  {"customer_email", NullOr(s.customer_email)},
                  {"customer_name", NullOr(s.customer_name)},
                  {"metadata", json::object()},
                  {"paid", true},
                  {"payment_intent", NullOr(s.payment_intent)},
                  {"status", "paid"},
                  {"subscription", NullOr(s.subscription)},
                  {"subscription_details", {{"metadata", json::object()}}}};
  return Envelope(s.event_id, "invoice.paid", s.created, std::move(invoice));
}

constexpr char kBasil[] = "2025-03-31.basil";

std::string InvoicePaidBasil(const InvoiceSpec& s) {
  json payment = {{"id", "inpay_" + s.invoice_id.substr(3)},
                  {"object", "invoice_payment"},
                  {"amount_paid", s.amount_paid},
                  {"amount_requested", s.amount_paid},
                  {"created", s.created},
                  {"currency", s.currency},
                  {"invoice", s.invoice_id},
                  {"is_default", true},
                  {"livemode", false},
                  {"payment", {{"type", "payment_intent"}, {"payment_intent", s.payment_intent}}},
                  {"status", "paid"},
                  {"status_transitions", {{"canceled_at", nullptr}, {"paid_at", s.created}}}};
  json invoice = {{"id", s.invoice_id},
                  {"object", "invoice"},
                  {"amount_due", s.amount_paid},
                  {"amount_overpaid", 0},
                  {"amount_paid", s.amount_paid},
                  {"amount_remaining", 0},
                  {"billing_reason", "subscription_cycle"},
                  {"confirmation_secret", nullptr},
                  {"created", s.created},
                  {"currency", s.currency},
                  {"customer", NullOr(s.customer)},
                  {"customer_email", NullOr(s.customer_email)},
                  {"customer_name", NullOr(s.customer_name)},
                  {"metadata", json::object()},
                  {"parent",
                   {{"type", "subscription_details"},
                    {"quote_details", nullptr},
                    {"subscription_details",
                     {{"metadata", json::object()}, {"subscription", NullOr(s.subscription)}}}}},
                  {"payments",
                   {{"object", "list"},
                    {"data", json::array({payment})},
                    {"has_more", false},
                    {"total_count", 1},
                    {"url", "/v1/invoice_payments"}}},
                  {"status", "paid"},
                  {"status_transitions", {{"paid_at", s.created}}}};
  return Envelope(s.event_id, "invoice.paid", s.created, std::move(invoice), kBasil);
}

std::string PaymentIntentSucceededBasil(const PaymentSpec& s) {
  json pi = json::parse(PaymentIntentSucceeded(s))["data"]["object"];
  pi.erase("invoice");
  pi["description"] = "Subscription update";
  return Envelope(s.event_id, "payment_intent.succeeded", s.created, std::move(pi), kBasil);
}

std::string ChargeSucceededBasil(const PaymentSpec& s) {
  json metadata = json::object();
  for (const auto& [k, v] : s.metadata) metadata[k] = v;
  json charge = {{"id", "ch_" + s.payment_intent.substr(3)},
                 {"object", "charge"},
                 {"amount", s.amount},
                 {"amount_captured", s.amount},
                 {"amount_refunded", 0},
                 {"captured", true},
                 {"created", s.created},
                 {"currency", s.currency},
                 {"customer", NullOr(s.customer)},
                 {"description", "Subscription update"},
                 {"metadata", metadata},
                 {"paid", true},
                 {"payment_intent", s.payment_intent},
                 {"refunded", false},
                 {"status", "succeeded"}};
  return Envelope(s.event_id, "charge.succeeded", s.created, std::move(charge), kBasil);
}

std::string ChargeRefunded(const std::string& event_id, const std::string& payment_intent,
                           int64_t amount, int64_t amount_refunded, const std::string& currency,
                           int64_t created) {
  json charge = {{"id", "ch_" + payment_intent.substr(3)},
                 {"object", "charge"},
                 {"amount", amount},
                 {"amount_captured", amount},
                 {"amount_refunded", amount_refunded},
                 {"captured", true},
                 {"created", created - 3600},
                 {"currency", currency},
                 {"metadata", json::object()},
                 {"paid", true},
                 {"payment_intent", payment_intent},
                 {"refunded", amount_refunded == amount},
                 {"status", "succeeded"}};
  return Envelope(event_id, "charge.refunded", created, std::move(charge));
}

std::string DisputeClosed(const std::string& event_id, const std::string& payment_intent,
                          int64_t amount, const std::string& currency, const std::string& status,
                          int64_t created) {
  json dispute = {{"id", "dp_" + event_id.substr(4)},
                  {"object", "dispute"},
                  {"amount", amount},
                  {"charge", "ch_" + payment_intent.substr(3)},
                  {"created", created - 86400},
                  {"currency", currency},
                  {"is_charge_refundable", false},
                  {"livemode", false},
                  {"metadata", json::object()},
                  {"payment_intent", payment_intent},
                  {"reason", "fraudulent"},
                  {"status", status}};
  return Envelope(event_id, "charge.dispute.closed", created, std::move(dispute));
}

std::string SubscriptionEvent(const std::string& type, const std::string& event_id,
                              const std::string& subscription, int64_t unit_amount,
                              const std::string& currency, const std::string& interval,
                              int64_t quantity, int64_t created,
                              std::optional<int64_t> canceled_at) {
  json price = {{"id", "price_" + subscription},
                {"object", "price"},
                {"currency", currency},
                {"recurring", {{"interval", interval}, {"interval_count", 1}}},
                {"type", "recurring"},
                {"unit_amount", unit_amount}};
  json sub = {
      {"id", subscription},
      {"object", "subscription"},
      {"created", created},
      {"currency", currency},
      {"customer", "cus_" + subscription},
      {"items",
       {{"object", "list"},
        {"data", {{{"id", "si_" + subscription}, {"price", price}, {"quantity", quantity}}}}}},
      {"metadata", json::object()},
      {"status", canceled_at ? "canceled" : "active"},
      {"canceled_at", canceled_at ? json(*canceled_at) : json(nullptr)},
      {"ended_at", canceled_at ? json(*canceled_at) : json(nullptr)}};
  return Envelope(event_id, type, canceled_at.value_or(created), std::move(sub));
}

std::string GenericEvent(const std::string& event_id, const std::string& type) {
  return Envelope(event_id, type, kNow, {{"id", "obj_1"}, {"object", "thing"}});
}

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *exit_code = -1;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::optional<std::string> SignWithStripeNpm(const std::string& payload, const std::string& secret,
                                             int64_t timestamp, std::string* why) {
  const std::string node = "/usr/bin/node";
  const std::string modules = std::string(FREEHOLD_SOURCE_DIR) + "/tests/npm/node_modules";
  if (access(node.c_str(), X_OK) != 0) {
    *why = "node is not installed at /usr/bin/node";
    return std::nullopt;
  }
  if (access((modules + "/stripe/package.json").c_str(), R_OK) != 0) {
    *why = "the stripe npm package is missing: run `npm install --prefix tests/npm`";
    return std::nullopt;
  }
  freehold::testing::TempDir dir("donations-stripe-");
  const std::string file = dir.WriteFile("payload.json", payload);
  int code = 0;
  std::string header =
      RunCommand(absl::StrCat(node, " ", FREEHOLD_SOURCE_DIR, "/tests/donations/stripe_sign.js ",
                              modules, " ", file, " ", secret, " ", timestamp),
                 &code);
  if (code != 0 || header.empty()) {
    *why = absl::StrCat("stripe_sign.js failed with exit code ", code);
    return std::nullopt;
  }
  return header;
}

std::string AccessToken(const TokenSigner& signer, absl::Time now, const AccessTokenSpec& spec) {
  TokenClaims claims;
  claims.audience = spec.audience;
  claims.subject = spec.subject;
  claims.token_id = NewUuid();
  claims.issued_at = now;
  claims.expires_at = now + spec.lifetime;
  claims.scopes = spec.scopes;
  claims.extra = NewUuid();  // accounts puts the session id here
  return SignClaims(signer, claims);
}

std::string AccountsKeysText(const std::vector<PublicKey>& keys) {
  std::string out;
  for (const PublicKey& k : keys) {
    absl::StrAppend(
        &out, "ed25519 ", k.key_id, " ",
        Base64Encode(std::string_view(reinterpret_cast<const char*>(k.key.data()), k.key.size())),
        "\n");
  }
  return out;
}

FastIntakeEvent FastPayment(const std::string& id, const std::string& ref, int64_t amount_minor,
                            const std::string& currency) {
  FastIntakeEvent e;
  e.provider = "stripe";
  e.event_id = id;
  e.type = "payment_intent.succeeded";
  e.kind = "payment";
  e.occurred_at = absl::FromUnixSeconds(kNow);
  e.payment_ref = ref;
  e.entry.entry_id = NewUuid();
  e.entry.at = e.occurred_at;
  e.entry.amount_minor = amount_minor;
  e.entry.currency = currency;
  e.entry.provider = "stripe";
  e.entry.provider_event_id = id;
  e.entry.payment_ref = ref;
  e.base_currency = currency == "EUR";
  return e;
}

void DonationsPgTest::SetUp() {
  PostgresTest::SetUp();
  if (HasFatalFailure()) return;
  pool_ = std::make_unique<PgPool>(DonationsPoolOptions(db_url(), 8));
  ASSERT_OK(MigrateDonationsSchema(*pool_));
  one_statement_ = NewOneStatementIntakePool(pool_->options(), 2);
  projection_ = std::make_unique<PgLedgerProjection>(
      *pool_, "EUR",
      Logger("donations-test", LogLevel::kInfo, std::make_shared<CapturingLogSink>()));
  store_ = std::make_unique<PgDonationStore>(*pool_, one_statement_.get(), projection_.get());
  queries_ = std::make_unique<PgQueryStore>(*pool_, projection_.get());
  metrics_ = std::make_unique<DonationMetrics>(registry_);
  rules_ = std::make_unique<LedgerRules>("EUR");
  auto secrets =
      std::make_shared<const WebhookSecrets>(std::vector<std::string>{kSecret, kOldSecret});
  stripe_ = std::make_unique<StripeProvider>(secrets, absl::Minutes(5));
  MakeIntake(/*group_commit=*/true);
  auto sink = std::make_shared<CapturingLogSink>();
  Logger log("donations-test", LogLevel::kInfo, sink);
  ASSERT_OK_AND_ASSIGN(SigningKey key, GenerateSigningKey("receipts-test"));
  signer_ = std::make_unique<TokenSigner>(key);
  campaigns_ = std::make_unique<CampaignBook>(*queries_, clock_);
  report_ = std::make_unique<FundingReport>(
      *queries_, *queries_, clock_, "EUR", [this] { return monthly_cost_; }, log);
  portal_ = std::make_unique<DonorPortal>(*queries_, *signer_, clock_, "EUR");
  ready_ = true;
}

void DonationsPgTest::MakeIntake(bool group_commit, std::optional<IntakeBatchOptions> options) {
  intake_.reset();
  batcher_.reset();
  if (group_commit) {
    if (!options.has_value()) {
      options.emplace();
      options->max_concurrent = store_->FastConcurrency();
    }
    batcher_ = std::make_unique<IntakeBatcher>(*store_, *options, metrics_.get());
  }
  Logger log("donations-test", LogLevel::kInfo, std::make_shared<CapturingLogSink>());
  intake_ =
      std::make_unique<WebhookIntake>(std::vector<const PaymentProvider*>{stripe_.get()}, *store_,
                                      *rules_, clock_, *metrics_, log, batcher_.get());
}

void DonationsPgTest::TearDown() {
  portal_.reset();
  report_.reset();
  campaigns_.reset();
  intake_.reset();
  batcher_.reset();
  store_.reset();
  projection_.reset();
  one_statement_.reset();
  queries_.reset();
  pool_.reset();
  PostgresTest::TearDown();
}

absl::StatusOr<IngestResponse> DonationsPgTest::Deliver(const std::string& body,
                                                        const std::string& secret,
                                                        std::optional<int64_t> timestamp) {
  const int64_t t = timestamp.value_or(absl::ToUnixSeconds(clock_.Now()));
  Headers headers = {{"Content-Type", "application/json; charset=utf-8"},
                     {"Stripe-Signature", SignPayload(secret, t, body)}};
  return intake_->Ingest("stripe", headers, body);
}

int64_t DonationsPgTest::QueryInt(const std::string& sql) {
  EXPECT_OK(projection_->CatchUp());  // the ledger as every reader sees it
  absl::StatusOr<int64_t> v =
      pool_->Run([&](PgTxn& txn) { return txn.exec(sql)[0][0].as<int64_t>(); });
  EXPECT_OK(v) << sql;
  return v.value_or(-1);
}

std::string DonationsPgTest::QueryText(const std::string& sql) {
  EXPECT_OK(projection_->CatchUp());  // the ledger as every reader sees it
  absl::StatusOr<std::string> v = pool_->Run([&](PgTxn& txn) {
    pqxx::result r = txn.exec(sql);
    return r[0][0].is_null() ? std::string("<null>") : r[0][0].as<std::string>();
  });
  EXPECT_OK(v) << sql;
  return v.value_or("");
}

double DonationsPgTest::Metric(const std::string& name,
                               const std::map<std::string, std::string>& labels) {
  return ReadMetric(registry_, name, labels).value_or(0.0);
}

absl::StatusOr<Ready> WaitForReady(freehold::testing::Process& p, const std::string& stdout_path,
                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    for (absl::string_view line :
         absl::StrSplit(freehold::testing::ReadFileOrEmpty(stdout_path), '\n')) {
      if (!absl::StartsWith(line, "READY ")) continue;
      Ready r;
      for (absl::string_view kv : absl::StrSplit(line.substr(6), ' ')) {
        std::pair<std::string, std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
        if (parts.first == "grpc") r.grpc = parts.second;
        if (parts.first == "metrics") r.metrics = parts.second;
        if (parts.first == "http") r.http = parts.second;
      }
      return r;
    }
    if (!p.Running()) {
      return absl::FailedPreconditionError("exited before READY: " + p.ReadStderr());
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("no READY line: " + p.ReadStderr());
}

}  // namespace freehold::donations::testing
