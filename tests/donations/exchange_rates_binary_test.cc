// Exchange rates from the ECB's published file, re-read while the real
// freehold-donations binary runs (real PostgreSQL, loopback, curl), and the
// park-then-record path: a payment in a currency without a rate is answered "parked",
// kept whole, and recorded once (exactly once) as soon as a rate arrives.
#include <gtest/gtest.h>

#include <cstdio>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
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
  std::string Deliver(const std::string& id, int64_t amount, const std::string& currency) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    const std::string body = PaymentIntentSucceeded({.event_id = "evt_" + id,
                                                     .payment_intent = "pi_" + id,
                                                     .amount = amount,
                                                     .currency = currency,
                                                     .created = now});
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

}  // namespace
}  // namespace freehold::donations::testing
