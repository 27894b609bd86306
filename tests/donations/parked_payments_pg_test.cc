// Payments in a currency without an exchange rate: parked whole (not dead letters),
// recorded exactly once by WebhookIntake::ReplayParkedPayments once a rate exists, with
// the refunds that arrived meanwhile; through both intake paths, real PostgreSQL.
#include <gtest/gtest.h>

#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

class ParkedPaymentsPgTest : public DonationsPgTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    DonationsPgTest::SetUp();
    if (HasFatalFailure()) return;
    MakeIntake(/*group_commit=*/GetParam());
  }
};

INSTANTIATE_TEST_SUITE_P(Paths, ParkedPaymentsPgTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "GroupCommit" : "Transaction";
                         });

TEST_P(ParkedPaymentsPgTest, ParkedUntilARateArrivesThenRecordedOnceWithItsRefund) {
  // 10.500 KWD (three decimals), no KWD rate yet.
  ASSERT_OK_AND_ASSIGN(IngestResponse r,
                       Deliver(PaymentIntentSucceeded({.event_id = "evt_k1",
                                                       .payment_intent = "pi_k",
                                                       .amount = 10500,
                                                       .currency = "kwd"})));
  EXPECT_EQ(r.outcome, IngestOutcome::kParked);
  // The same payment reported by another event type, and redelivered: parked too, once
  // per event.
  ASSERT_OK_AND_ASSIGN(r, Deliver(PaymentIntentSucceeded({.event_id = "evt_k1",
                                                          .payment_intent = "pi_k",
                                                          .amount = 10500,
                                                          .currency = "kwd"})));
  EXPECT_EQ(r.outcome, IngestOutcome::kParked);
  // A partial refund while the payment waits: parked as a reversal, as before.
  ASSERT_OK(Deliver(ChargeRefunded("evt_k_refund", "pi_k", 10500, 500, "kwd")));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_payments"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events WHERE event_id = 'evt_k1'"), 0);

  // Still no rate: the replay keeps it.
  ASSERT_OK_AND_ASSIGN(int recorded, intake_->ReplayParkedPayments());
  EXPECT_EQ(recorded, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_payments"), 1);

  // A rate (3 EUR per KWD) effective before the payment: recorded at the payment's time
  // with that rate, and the refund applied with it.
  ASSERT_OK(report_->SetExchangeRates(
      {{"KWD", *ParseRate("3", "r"), absl::FromUnixSeconds(kNow - 86400)}}));
  ASSERT_OK_AND_ASSIGN(recorded, intake_->ReplayParkedPayments());
  EXPECT_EQ(recorded, 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_payments"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger WHERE kind = 'one_off'"), 1);
  // 10.500 KWD * 3 = 31.50 EUR; refund 0.500 KWD = 1.50 EUR.
  EXPECT_EQ(QueryInt("SELECT base_amount_minor FROM donations.ledger WHERE kind = 'one_off'"),
            3150);
  EXPECT_EQ(QueryInt("SELECT sum(base_amount_minor) FROM donations.ledger"), 3000);
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 10000);
  EXPECT_EQ(Metric("freehold_donations_received_base_total",
                   {{"kind", "one_off"}, {"currency", "KWD"}}),
            3150);

  // A second replay and a late redelivery change nothing.
  ASSERT_OK_AND_ASSIGN(recorded, intake_->ReplayParkedPayments());
  EXPECT_EQ(recorded, 0);
  ASSERT_OK_AND_ASSIGN(r, Deliver(PaymentIntentSucceeded({.event_id = "evt_k1",
                                                          .payment_intent = "pi_k",
                                                          .amount = 10500,
                                                          .currency = "kwd"})));
  EXPECT_EQ(r.outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger WHERE kind = 'one_off'"), 1);
}

TEST_P(ParkedPaymentsPgTest, AParkedPaymentTheRulesNowRefuseBecomesADeadLetter) {
  ASSERT_OK_AND_ASSIGN(IngestResponse r,
                       Deliver(PaymentIntentSucceeded({.event_id = "evt_b1",
                                                       .payment_intent = "pi_b",
                                                       .amount = 700,
                                                       .currency = "usd"})));
  EXPECT_EQ(r.outcome, IngestOutcome::kParked);
  // Someone corrupts the kept body (only possible by hand): the replay refuses it, keeps
  // it as a dead letter and goes on; nothing is silently dropped.
  QueryInt(
      "WITH u AS (UPDATE donations.parked_payments SET raw_body = convert_to('{bad', 'UTF8') "
      "RETURNING 1) SELECT count(*) FROM u");
  ASSERT_OK(report_->SetExchangeRates(
      {{"USD", *ParseRate("0.9", "r"), absl::FromUnixSeconds(kNow - 86400)}}));
  ASSERT_OK_AND_ASSIGN(int recorded, intake_->ReplayParkedPayments());
  EXPECT_EQ(recorded, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_payments"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters WHERE event_id = 'evt_b1'"), 1);
}

}  // namespace
}  // namespace freehold::donations::testing
