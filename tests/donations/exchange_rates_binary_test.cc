// Exchange rates from the ECB's published file, re-read while the real
// freehold-donations binary runs (real PostgreSQL, loopback, curl), and the
// park-then-record path: a payment in a currency without a rate is answered "parked",
// kept whole, and recorded once (exactly once) as soon as a rate arrives.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <tuple>
#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/donations/core/currency.h"
#include "services/donations/core/webhook_signature.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::donations::testing {
namespace {

using freehold::testing::BinaryPath;
using freehold::testing::Process;
using freehold::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

class ExchangeRatesBinaryTest : public freehold::testing::PostgresTest {
 protected:
  // Replaces the rates file whole (as a download job would: write, then rename).
  void WriteEcb(const std::string& text) {
    dir_.WriteFile("ecb.next", text);
    ASSERT_EQ(std::rename(dir_.File("ecb.next").c_str(), ecb_file_.c_str()), 0);
  }

  void Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen",
        "127.0.0.1:0", "--database-url", db_url(), "--ecb-rates", ecb_file_,
        "--ecb-rates-reload-interval", "200ms", "--parked-replay-interval", "1h",
        "--receipt-key", dir_.File("receipt.key")};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_OK_AND_ASSIGN(process_,
                         Process::Start({.binary = BinaryPath("freehold-donations"),
                                         .args = args,
                                         .env = {{"FREEHOLD_STRIPE_WEBHOOK_SECRET", kSecret}},
                                         .stdout_path = stdout_path_}));
    ASSERT_OK_AND_ASSIGN(ready_, WaitForReady(*process_, stdout_path_, absl::Seconds(30)));
  }

  // Delivers a signed payment_intent.succeeded with curl; returns "<body> <status>".
  std::string Deliver(const std::string& id, int64_t amount, const std::string& currency,
                      const std::string& customer = "", const std::string& email = "") {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return DeliverBody(PaymentIntentSucceeded({.event_id = "evt_" + id,
                                               .payment_intent = "pi_" + id,
                                               .amount = amount,
                                               .currency = currency,
                                               .created = now,
                                               .customer = customer,
                                               .receipt_email = email}));
  }
  std::string DeliverBody(const std::string& body) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    const std::string file = dir_.WriteFile("body.json", body);
    int code = 0;
    return RunCommand(
        absl::StrCat("curl -sS --max-time 10 -w ' %{http_code}' -H 'Content-Type: "
                     "application/json' -H 'Stripe-Signature: ",
                     SignPayload(kSecret, now, body), "' --data-binary @", file, " http://",
                     ready_.http, "/webhooks/stripe"),
        &code);
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection c(db_url());
    pqxx::work w(c);
    return w.exec1(sql)[0].as<int64_t>();
  }
  std::string Text(const std::string& sql) {
    pqxx::connection c(db_url());
    pqxx::work w(c);
    return w.exec1(sql)[0].as<std::string>();
  }
  bool WaitFor(const std::string& sql, int64_t value) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (absl::Now() < deadline) {
      if (Count(sql) == value) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  TempDir dir_{"donations-ecb-"};
  const std::string ecb_file_ = dir_.File("eurofxref.csv");
  const std::string stdout_path_ = dir_.File("stdout.txt");
  std::unique_ptr<Process> process_;
  Ready ready_;
};

TEST_F(ExchangeRatesBinaryTest, APaymentWithoutARateIsParkedThenRecordedOnceTheRateArrives) {
  // The ECB's daily CSV without USD.
  WriteEcb("Date, JPY, \n04 December 2026, 157.52, \n");
  Start();
  EXPECT_EQ(Count("SELECT count(*) FROM donations.exchange_rates WHERE source = 'file'"), 1);

  // A USD payment: no rate, so parked (answered 200, Stripe does not retry), kept whole,
  // not a dead letter, not in the ledger.
  std::string answer = Deliver("usd1", 2500, "usd");
  EXPECT_THAT(answer, HasSubstr("\"parked\"")) << answer;
  EXPECT_THAT(answer, HasSubstr(" 200")) << answer;
  EXPECT_EQ(Count("SELECT count(*) FROM donations.parked_payments"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM donations.dead_letters"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM donations.ledger"), 0);
  // A redelivery of the same event parks nothing new.
  answer = Deliver("usd1", 2500, "usd");
  EXPECT_THAT(answer, HasSubstr("\"parked\"")) << answer;
  EXPECT_EQ(Count("SELECT count(*) FROM donations.parked_payments"), 1);
  // A payment in a currency with a rate is recorded as usual meanwhile.
  answer = Deliver("jpy1", 1000, "jpy");
  EXPECT_THAT(answer, HasSubstr("\"recorded\"")) << answer;

  // The next ECB file (XML this time) has USD: re-read on change, and the parked
  // payment is recorded right away (the periodic replay is an hour away).
  WriteEcb(R"(<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-12-04"><Cube currency="USD" rate="1.0500"/><Cube currency="JPY" rate="157.52"/></Cube></Cube>
</gesmes:Envelope>
)");
  ASSERT_TRUE(WaitFor("SELECT count(*) FROM donations.parked_payments", 0))
      << process_->ReadStderr();
  // Recorded (the journal's copy reaches the ledger within --ledger-projection-interval).
  ASSERT_TRUE(WaitFor("SELECT count(*) FROM donations.ledger WHERE payment_ref = 'pi_usd1'", 1));
  EXPECT_EQ(Text("SELECT rate_to_base FROM donations.ledger WHERE payment_ref = 'pi_usd1'"),
            "0.952380952380952");
  // 25.00 USD * (1/1.05) = 23.8095... EUR -> 2381 cents.
  EXPECT_EQ(Count("SELECT base_amount_minor FROM donations.ledger WHERE payment_ref = 'pi_usd1'"),
            2381);
  // Redelivered after it was recorded: a duplicate, still one entry.
  answer = Deliver("usd1", 2500, "usd");
  EXPECT_THAT(answer, HasSubstr("\"duplicate\"")) << answer;
  EXPECT_EQ(Count("SELECT count(*) FROM donations.ledger WHERE payment_ref = 'pi_usd1'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM donations.dead_letters"), 0);
  ASSERT_OK_AND_ASSIGN(int code, process_->Stop());
  EXPECT_EQ(code, 0);
}

TEST_F(ExchangeRatesBinaryTest, AManualRateOverridesTheFileAndABrokenFileKeepsTheRates) {
  // The operator's manual table sets USD for the same day the ECB file has it.
  const std::string manual =
      dir_.WriteFile("manual.csv", "currency,rate,effective_from\nUSD,0.9,2026-12-04\n");
  WriteEcb("Date,USD,\n2026-12-04,1.05,\n2026-12-03,1.04,\n");
  Start({"--exchange-rates", manual});
  const std::string usd_on_4th =
      "SELECT rate_to_base || ' ' || source FROM donations.exchange_rates WHERE currency = 'USD' "
      "AND effective_from = '2026-12-04T00:00:00Z'";
  EXPECT_EQ(Text(usd_on_4th), "0.9 manual");
  EXPECT_EQ(Count("SELECT count(*) FROM donations.exchange_rates WHERE source = 'file'"), 1);

  // A new version of the file does not replace the manual row either.
  WriteEcb("Date,USD,\n2026-12-05,1.06,\n2026-12-04,1.07,\n");
  ASSERT_TRUE(WaitFor("SELECT count(*) FROM donations.exchange_rates WHERE currency = 'USD' "
                      "AND effective_from = '2026-12-05T00:00:00Z'",
                      1))
      << process_->ReadStderr();
  EXPECT_EQ(Text(usd_on_4th), "0.9 manual");

  // A broken version is refused; the rates in force stay.
  WriteEcb("this is not the ECB's file\n");
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline &&
         process_->ReadStderr().find("previous one stays in force") == std::string::npos) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(process_->ReadStderr(), HasSubstr("previous one stays in force"));
  EXPECT_EQ(Count("SELECT count(*) FROM donations.exchange_rates"), 3);
  ASSERT_OK_AND_ASSIGN(int code, process_->Stop());
  EXPECT_EQ(code, 0);
}

TEST_F(ExchangeRatesBinaryTest, TheBundledDefaultTableCoversEveryListedCurrency) {
  // deploy/local/exchange-rates.csv: what the local cluster loads at start.
  const std::string bundled = absl::StrCat(FREEHOLD_SOURCE_DIR, "/deploy/local/exchange-rates.csv");
  WriteEcb("Date,USD,\n2026-12-04,1.05,\n");
  Start({"--exchange-rates", bundled});
  // Every currency of the currency table but the base has a rate.
  EXPECT_EQ(Count("SELECT count(DISTINCT currency) FROM donations.exchange_rates"),
            static_cast<int64_t>(KnownCurrencies().size()) - 1);
  std::string answer = Deliver("kwd1", 10500, "kwd");  // three decimals: 10.500 KWD
  EXPECT_THAT(answer, HasSubstr("\"recorded\"")) << answer;
  ASSERT_OK_AND_ASSIGN(int code, process_->Stop());
  EXPECT_EQ(code, 0);
}

TEST_F(ExchangeRatesBinaryTest, ThePublicLedgerExportIsAnonymousAndAddsUpToTheBalance) {
  WriteEcb("Date,USD,JPY,\n2026-12-04,1.05,157.52,\n");
  const std::string manual =
      dir_.WriteFile("manual.csv", "currency,rate,effective_from\nKWD,2.987,2020-01-01\n");
  Start({"--exchange-rates", manual, "--gauge-refresh", "1s"});
  // Zero-, two- and three-decimal currencies, donors with customer ids and e-mails, a
  // partial refund and a lost dispute.
  for (const auto& [id, amount, currency] :
       std::vector<std::tuple<std::string, int64_t, std::string>>{{"e1", 1234, "eur"},
                                                                  {"u1", 999, "usd"},
                                                                  {"j1", 777, "jpy"},
                                                                  {"k1", 10505, "kwd"},
                                                                  {"k2", 333, "kwd"}}) {
    const std::string answer =
        Deliver(id, amount, currency, "cus_secret_" + id, id + "@donor.example");
    ASSERT_THAT(answer, HasSubstr("\"recorded\"")) << answer;
  }
  std::string answer = DeliverBody(ChargeRefunded("evt_rk1", "pi_k1", 10505, 1001, "kwd",
                                                  absl::ToUnixSeconds(absl::Now())));
  ASSERT_THAT(answer, HasSubstr(" 200")) << answer;
  answer = DeliverBody(
      DisputeClosed("evt_dj1", "pi_j1", 777, "jpy", "lost", absl::ToUnixSeconds(absl::Now())));
  ASSERT_THAT(answer, HasSubstr(" 200")) << answer;
  ASSERT_TRUE(WaitFor("SELECT count(*) FROM donations.ledger", 7)) << process_->ReadStderr();

  int code = 0;
  const std::string csv =
      RunCommand(absl::StrCat("curl -sS --max-time 10 http://", ready_.http, "/ledger.csv"), &code);
  const std::string json_text =
      RunCommand(absl::StrCat("curl -sS --max-time 10 http://", ready_.http, "/ledger.json"), &code);
  // No identity of a donor or a processor object.
  for (const std::string* doc : {&csv, &json_text}) {
    for (const char* secret : {"cus_", "@donor.example", "pi_", "evt_", "stripe", "donor"}) {
      EXPECT_THAT(*doc, Not(HasSubstr(secret))) << *doc;
    }
  }
  // CSV: header + 7 rows whose base amounts add up to the ledger's balance.
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 8u) << csv;
  EXPECT_EQ(lines[0],
            "entry_id,at,kind,amount_minor,currency,rate_to_base,base_amount_minor,base_currency,"
            "campaign_id,reverses_entry_id");
  int64_t csv_base = 0, kwd_minor = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    ASSERT_EQ(f.size(), 10u) << lines[i];
    int64_t base = 0, amount = 0;
    ASSERT_TRUE(absl::SimpleAtoi(f[6], &base)) << lines[i];
    ASSERT_TRUE(absl::SimpleAtoi(f[3], &amount)) << lines[i];
    csv_base += base;
    if (f[4] == "KWD") kwd_minor += amount;
  }
  EXPECT_EQ(kwd_minor, 10505 + 333 - 1001);  // three decimals, to the fils
  const int64_t balance = Count("SELECT sum(base_amount_minor) FROM donations.ledger");
  EXPECT_EQ(csv_base, balance);
  // JSON: the same entries and totals.
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json_text;
  EXPECT_EQ(doc["entries"].size(), 7u);
  EXPECT_EQ(doc["totals"]["base_amount_minor"].get<int64_t>(), balance);
  EXPECT_EQ(doc["totals"]["by_currency"]["KWD"]["amount_minor"].get<int64_t>(), kwd_minor);
  // And the balance gauge the service publishes, to the minor unit.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::string metrics;
  const std::string want = absl::StrCat("freehold_donations_ledger_balance_base ", balance);
  while (absl::Now() < deadline) {
    metrics = RunCommand(absl::StrCat("curl -sS --max-time 5 http://", ready_.metrics, "/metrics"),
                         &code);
    if (metrics.find(want) != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(metrics, HasSubstr(want));
  // Only GET and HEAD.
  EXPECT_EQ(RunCommand(absl::StrCat("curl -s -o /dev/null -w '%{http_code}' -X POST http://",
                                    ready_.http, "/ledger.csv"),
                       &code),
            "405");
  ASSERT_OK_AND_ASSIGN(int exit_code, process_->Stop());
  EXPECT_EQ(exit_code, 0);
}

}  // namespace
}  // namespace freehold::donations::testing
