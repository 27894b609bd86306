// Webhook intake over a real PostgreSQL: exactly-once, signatures, rotation, refund and
// chargeback arithmetic, dead letters, review, out-of-order permutations.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

using freehold::testing::StatusIs;
using ::testing::HasSubstr;

// Every intake test runs twice: with group commit (the one-statement path, as the
// binary is wired) and with every event in its own transaction (the C++ rules). Both
// must give the same answers and the same ledger.
class IntakePgTest : public DonationsPgTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    DonationsPgTest::SetUp();
    if (HasFatalFailure()) return;
    MakeIntake(/*group_commit=*/GetParam());
  }
};

INSTANTIATE_TEST_SUITE_P(Paths, IntakePgTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "GroupCommit" : "Transaction";
                         });

TEST_P(IntakePgTest, RecordsAPaymentWithDonorToken) {
  ASSERT_OK_AND_ASSIGN(IngestResponse r,
                       Deliver(PaymentIntentSucceeded({.event_id = "evt_a",
                                                       .payment_intent = "pi_a",
                                                       .amount = 2500,
                                                       .customer = "cus_a",
                                                       .receipt_email = "a@example.org"})));
  EXPECT_EQ(r.outcome, IngestOutcome::kRecorded);
  EXPECT_EQ(r.event_id, "evt_a");
  EXPECT_TRUE(absl::StartsWith(r.donor_token, "fhd_"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 1);
  EXPECT_EQ(QueryText("SELECT kind || ' ' || amount_minor || ' ' || currency || ' ' || "
                      "rate_to_base || ' ' || base_amount_minor FROM donations.ledger"),
            "one_off 2500 EUR 1 2500");
  // The token itself is never stored, only its hash.
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM donations.donor_tokens WHERE "
                                  "encode(token_hash, 'escape') LIKE '%",
                                  r.donor_token.substr(4, 10), "%'")),
            0);
  EXPECT_EQ(Metric("freehold_donation_events_total",
                   {{"provider", "stripe"}, {"kind", "payment"}, {"result", "recorded"}}),
            1);
  EXPECT_EQ(Metric("freehold_donations_received_total", {{"kind", "one_off"}}), 1);
  EXPECT_EQ(
      Metric("freehold_donations_received_base_total", {{"kind", "one_off"}, {"currency", "EUR"}}),
      2500);
}

TEST_P(IntakePgTest, ExactlyOnceUnderSixteenConcurrentDeliveries) {
  const std::string body = PaymentIntentSucceeded(
      {.event_id = "evt_same", .payment_intent = "pi_same", .amount = 1234, .customer = "cus_s"});
  constexpr int kDeliveries = 16;
  std::vector<absl::StatusOr<IngestResponse>> results(kDeliveries, absl::UnknownError("not run"));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kDeliveries; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = Deliver(body);
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  int recorded = 0, duplicate = 0;
  for (const auto& r : results) {
    ASSERT_OK(r);
    recorded += r->outcome == IngestOutcome::kRecorded;
    duplicate += r->outcome == IngestOutcome::kDuplicate;
  }
  EXPECT_EQ(recorded, 1);
  EXPECT_EQ(duplicate, kDeliveries - 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 1);
  EXPECT_EQ(QueryInt("SELECT sum(base_amount_minor) FROM donations.ledger"), 1234);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events"), 1);
  EXPECT_EQ(Metric("freehold_donation_duplicates_total", {}), kDeliveries - 1);
  // And again later, sequentially.
  ASSERT_OK_AND_ASSIGN(IngestResponse again, Deliver(body));
  EXPECT_EQ(again.outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 1);
}

TEST_P(IntakePgTest, ReplayOutsideTheWindowIsRejectedAndNotRecorded) {
  const std::string body =
      PaymentIntentSucceeded({.event_id = "evt_old", .payment_intent = "pi_old", .amount = 100});
  EXPECT_THAT(Deliver(body, kSecret, kNow - 301),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("tolerance")));
  EXPECT_THAT(Deliver(body, kSecret, kNow + 400), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters"), 0);
  EXPECT_EQ(Metric("freehold_webhook_rejected_total", {{"reason", "stale_timestamp"}}), 2);
  EXPECT_EQ(Metric("freehold_donation_events_total",
                   {{"provider", "stripe"}, {"kind", "unverified"}, {"result", "rejected_stale"}}),
            2);
  // Inside the window the same body is fine.
  EXPECT_OK(Deliver(body, kSecret, kNow - 299));
}

TEST_P(IntakePgTest, ForgedSignatureIsRejectedCountedAndNothingRecorded) {
  const std::string body =
      PaymentIntentSucceeded({.event_id = "evt_f", .payment_intent = "pi_f", .amount = 100000});
  EXPECT_THAT(Deliver(body, "whsec_forged"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(intake_->Ingest("stripe", {{"Stripe-Signature", "t=1,v1=deadbeef"}}, body),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(intake_->Ingest("stripe", {}, body), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters"), 0);
  EXPECT_EQ(Metric("freehold_webhook_rejected_total", {{"reason", "bad_signature"}}), 3);
  EXPECT_EQ(
      Metric("freehold_donation_events_total",
             {{"provider", "stripe"}, {"kind", "unverified"}, {"result", "rejected_signature"}}),
      3);
  EXPECT_THAT(intake_->Ingest("paypal", {}, body), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(IntakePgTest, RotatedSecretsBothVerifyDuringTheOverlap) {
  ASSERT_OK(Deliver(
      PaymentIntentSucceeded({.event_id = "evt_r1", .payment_intent = "pi_r1", .amount = 1}),
      kSecret));
  ASSERT_OK(Deliver(
      PaymentIntentSucceeded({.event_id = "evt_r2", .payment_intent = "pi_r2", .amount = 1}),
      kOldSecret));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 2);
}

TEST_P(IntakePgTest, RefundAndChargebackArithmetic) {
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_p", .payment_intent = "pi_p", .amount = 10000, .customer = "cus_p"})));
  // Partial refund of 25.00, then the cumulative total becomes 40.00.
  ASSERT_OK(Deliver(ChargeRefunded("evt_r1", "pi_p", 10000, 2500, "eur")));
  ASSERT_OK(Deliver(ChargeRefunded("evt_r2", "pi_p", 10000, 4000, "eur")));
  // A re-sent older cumulative total adds nothing.
  ASSERT_OK(Deliver(ChargeRefunded("evt_r0", "pi_p", 10000, 2500, "eur")));
  // Dispute won: no effect. Dispute lost for the remaining 60.00: chargeback.
  ASSERT_OK(Deliver(DisputeClosed("evt_dw", "pi_p", 6000, "eur", "won")));
  ASSERT_OK(Deliver(DisputeClosed("evt_dl", "pi_p", 6000, "eur", "lost")));

  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 4);
  EXPECT_EQ(QueryInt("SELECT sum(-amount_minor) FROM donations.ledger WHERE kind = 'refund'"),
            4000);
  EXPECT_EQ(QueryInt("SELECT sum(-amount_minor) FROM donations.ledger WHERE kind = 'chargeback'"),
            6000);
  EXPECT_EQ(QueryInt("SELECT sum(base_amount_minor) FROM donations.ledger"), 0);
  // Every reversal links to the payment and inherits its donor.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger r JOIN donations.ledger p "
                     "ON r.reverses_entry_id = p.entry_id WHERE r.donor_id = p.donor_id"),
            3);
  EXPECT_EQ(Metric("freehold_donation_refunds_total", {}), 2);
  EXPECT_EQ(Metric("freehold_donation_chargebacks_total", {}), 1);
  EXPECT_EQ(Metric("freehold_donation_chargebacks_base_total", {{"currency", "EUR"}}), 6000);

  // Nothing remains: a further chargeback is refused, kept as a dead letter.
  EXPECT_THAT(Deliver(DisputeClosed("evt_dl2", "pi_p", 1, "eur", "lost")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exceeds")));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters WHERE event_id = 'evt_dl2'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events WHERE event_id = 'evt_dl2'"), 0);
}

TEST_P(IntakePgTest, RefundLargerThanWhatRemainsIsRefused) {
  ASSERT_OK(Deliver(
      PaymentIntentSucceeded({.event_id = "evt_p", .payment_intent = "pi_q", .amount = 1000})));
  ASSERT_OK(Deliver(DisputeClosed("evt_d", "pi_q", 800, "eur", "lost")));
  EXPECT_THAT(Deliver(ChargeRefunded("evt_r", "pi_q", 1000, 300, "eur")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("200 that remain")));
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 200);
  EXPECT_EQ(Metric("freehold_webhook_rejected_total", {{"reason", "refused"}}), 1);
  // A refund in another currency than the payment is refused too.
  EXPECT_THAT(Deliver(ChargeRefunded("evt_r_usd", "pi_q", 1000, 100, "usd")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("USD")));
}

TEST_P(IntakePgTest, PartialRefundInAForeignCurrencyUsesThePaymentsRate) {
  ASSERT_OK(report_->SetExchangeRates(
      {{"USD", *ParseRate("0.5", "r"), absl::FromUnixSeconds(kNow - 86400)}}));
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_u", .payment_intent = "pi_u", .amount = 3, .currency = "usd"})));
  // 0.03 USD * 0.5 = 0.015 EUR -> 0.02 (half-even: 1.5 -> 2).
  EXPECT_EQ(QueryInt("SELECT base_amount_minor FROM donations.ledger"), 2);
  // The rate changes before the refund; the reversal keeps the payment's rate.
  ASSERT_OK(report_->SetExchangeRates(
      {{"USD", *ParseRate("0.9", "r"), absl::FromUnixSeconds(kNow - 10)}}));
  ASSERT_OK(Deliver(ChargeRefunded("evt_u1", "pi_u", 3, 1, "usd")));
  ASSERT_OK(Deliver(ChargeRefunded("evt_u2", "pi_u", 3, 3, "usd")));
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 0);
  EXPECT_EQ(QueryInt("SELECT sum(base_amount_minor) FROM donations.ledger"), 0);
  EXPECT_EQ(QueryText("SELECT string_agg(DISTINCT rate_to_base, ',') FROM donations.ledger"),
            "0.5");
}

TEST_P(IntakePgTest, UnknownKindsAreStoredForReviewAndAcknowledged) {
  ASSERT_OK_AND_ASSIGN(IngestResponse r, Deliver(GenericEvent("evt_u", "customer.updated")));
  EXPECT_EQ(r.outcome, IngestOutcome::kStoredForReview);
  EXPECT_EQ(QueryText("SELECT type FROM donations.review_events"), "customer.updated");
  ASSERT_OK_AND_ASSIGN(IngestResponse again, Deliver(GenericEvent("evt_u", "customer.updated")));
  EXPECT_EQ(again.outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 0);
}

TEST_P(IntakePgTest, MalformedBodiesAreRejectedAndKeptAsDeadLetters) {
  EXPECT_THAT(Deliver("{not json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON")));
  EXPECT_THAT(
      Deliver(PaymentIntentSucceeded(
          {.event_id = "evt_x", .payment_intent = "pi_x", .amount = 100, .currency = "zzz"})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("currency")));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters"), 2);
  EXPECT_EQ(
      QueryText(
          "SELECT encode(raw_body, 'escape') FROM donations.dead_letters ORDER BY id LIMIT 1"),
      "{not json");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events"), 0);
  EXPECT_EQ(Metric("freehold_webhook_rejected_total", {{"reason", "malformed"}}), 2);
}

TEST_P(IntakePgTest, MissingExchangeRateParksThePaymentUntilRatesAreLoaded) {
  const std::string body = PaymentIntentSucceeded(
      {.event_id = "evt_j", .payment_intent = "pi_j", .amount = 1000, .currency = "jpy"});
  // Parked whole (parked_payments_pg_test.cc covers the replay), not a dead letter.
  ASSERT_OK_AND_ASSIGN(IngestResponse parked, Deliver(body));
  EXPECT_EQ(parked.outcome, IngestOutcome::kParked);
  EXPECT_EQ(QueryText("SELECT currency::text FROM donations.parked_payments"), "JPY");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters"), 0);
  ASSERT_OK(report_->SetExchangeRates(
      {{"JPY", *ParseRate("0.00617", "r"), absl::FromUnixSeconds(kNow - 86400)}}));
  ASSERT_OK_AND_ASSIGN(IngestResponse r, Deliver(body));  // a redelivery records it too
  EXPECT_EQ(r.outcome, IngestOutcome::kRecorded);
  EXPECT_EQ(QueryInt("SELECT base_amount_minor FROM donations.ledger"), 617);
  // The replay then finds it recorded and drops the parked copy: still one entry.
  ASSERT_OK(intake_->ReplayParkedPayments());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_payments"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 1);
}

TEST_P(IntakePgTest, OneInvoicePaymentIsRecordedOnceWhateverReportsIt) {
  nlohmann::json pi = nlohmann::json::parse(
      PaymentIntentSucceeded({.event_id = "evt_pi", .payment_intent = "pi_inv", .amount = 500}));
  pi["data"]["object"]["invoice"] = "in_1";
  ASSERT_OK(Deliver(pi.dump()));
  ASSERT_OK(Deliver(InvoicePaid({.event_id = "evt_in",
                                 .invoice_id = "in_1",
                                 .payment_intent = "pi_inv",
                                 .subscription = "sub_1",
                                 .amount_paid = 500,
                                 .customer = "cus_1"})));
  EXPECT_EQ(QueryText("SELECT kind || ' ' || pledge_id FROM donations.ledger"), "recurring sub_1");
}

// API version 2025-03-31 ("basil") and later: the invoice names its PaymentIntent only
// through its InvoicePayment objects, and the PaymentIntent names no invoice. One
// subscription payment (invoice.paid + payment_intent.succeeded + charge.succeeded) is
// recorded once in every one of the 6 orders, whatever the other events were.
TEST_P(IntakePgTest, ABasilInvoicePaymentIsRecordedOnceInAnyOrder) {
  std::vector<int> order = {0, 1, 2};
  int permutation = 0;
  do {
    const std::string n = absl::StrCat(permutation);
    const std::string pi = "pi_basil" + n;
    const PaymentSpec payment = {
        .event_id = "evt_bpi" + n, .payment_intent = pi, .amount = 1500, .customer = "cus_b" + n};
    PaymentSpec charge = payment;
    charge.event_id = "evt_bch" + n;
    const std::vector<std::string> events = {InvoicePaidBasil({.event_id = "evt_bin" + n,
                                                               .invoice_id = "in_basil" + n,
                                                               .payment_intent = pi,
                                                               .subscription = "sub_b" + n,
                                                               .amount_paid = 1500,
                                                               .customer = "cus_b" + n}),
                                             PaymentIntentSucceededBasil(payment),
                                             ChargeSucceededBasil(charge)};
    for (int i : order) {
      ASSERT_OK(Deliver(events[i])) << "permutation " << permutation << " event " << i;
    }
    EXPECT_EQ(QueryText(absl::StrCat("SELECT count(*) || ' ' || sum(amount_minor) || ' ' || "
                                     "min(payment_ref) FROM donations.ledger WHERE payment_ref "
                                     "IN ('",
                                     pi, "', 'in_basil", n, "')")),
              absl::StrCat("1 1500 ", pi))
        << "permutation " << permutation;
    ++permutation;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutation, 6);
}

// Out of order: a payment, two partial refunds and a lost dispute, in all 24 orders,
// each on its own payment, must end in the same entries' totals.
TEST_P(IntakePgTest, AnyOrderOfTheSameEventsEndsInTheSameBalance) {
  ASSERT_OK(report_->SetExchangeRates(
      {{"USD", *ParseRate("0.9137", "r"), absl::FromUnixSeconds(kNow - 86400)}}));
  std::vector<int> order = {0, 1, 2, 3};
  int permutation = 0;
  std::set<std::string> outcomes;
  do {
    const std::string pi = absl::StrCat("pi_perm", permutation);
    const std::string p = absl::StrCat("evt_perm", permutation, "_");
    const std::vector<std::string> events = {
        PaymentIntentSucceeded({.event_id = p + "pay",
                                .payment_intent = pi,
                                .amount = 10001,
                                .currency = "usd",
                                .created = kNow - 100}),
        ChargeRefunded(p + "ref1", pi, 10001, 1001, "usd", kNow - 50),
        ChargeRefunded(p + "ref2", pi, 10001, 3333, "usd", kNow - 40),
        DisputeClosed(p + "dis", pi, 4444, "usd", "lost", kNow - 30)};
    for (int i : order) {
      ASSERT_OK(Deliver(events[i])) << "permutation " << permutation << " event " << i;
    }
    outcomes.insert(QueryText(
        absl::StrCat("SELECT sum(amount_minor) || ' ' || sum(base_amount_minor) || ' ' || "
                     "sum(amount_minor) FILTER (WHERE kind = 'refund') || ' ' || "
                     "sum(amount_minor) FILTER (WHERE kind = 'chargeback') "
                     "FROM donations.ledger WHERE payment_ref = '",
                     pi, "'")));
    EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM donations.parked_reversals "
                                    "WHERE payment_ref = '",
                                    pi, "'")),
              0);
    ++permutation;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutation, 24);
  ASSERT_EQ(outcomes.size(), 1u) << ::testing::PrintToString(outcomes);
  // 100.01 - 33.33 - 44.44 = 22.24 USD; base: 9138 - (round(7777*0.9137)=7106) = 2032.
  EXPECT_EQ(*outcomes.begin(), "2224 2032 -3333 -4444");
}

TEST_P(IntakePgTest, ReversalArrivingFirstIsParkedThenApplied) {
  ASSERT_OK_AND_ASSIGN(IngestResponse parked,
                       Deliver(ChargeRefunded("evt_early", "pi_late", 1000, 1000, "eur")));
  EXPECT_EQ(parked.outcome, IngestOutcome::kParked);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 0);
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_late", .payment_intent = "pi_late", .amount = 1000})));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 2);
  EXPECT_EQ(QueryInt("SELECT sum(base_amount_minor) FROM donations.ledger"), 0);
}

TEST_P(IntakePgTest, LedgerTablesAreAppendOnly) {
  ASSERT_OK(Deliver(
      PaymentIntentSucceeded({.event_id = "evt_t", .payment_intent = "pi_t", .amount = 100})));
  ASSERT_OK(projection_->CatchUp());  // a journaled payment is in the ledger now
  for (const char* sql :
       {"UPDATE donations.ledger SET amount_minor = 1", "DELETE FROM donations.ledger",
        "TRUNCATE donations.ledger CASCADE", "UPDATE donations.events SET type = 'x'",
        "DELETE FROM donations.events"}) {
    absl::Status s = pool_->Run([&](PgTxn& txn) { txn.exec(sql); });
    EXPECT_FALSE(s.ok()) << sql;
    EXPECT_THAT(std::string(s.message()), HasSubstr("append-only")) << sql;
  }
  EXPECT_EQ(QueryInt("SELECT amount_minor FROM donations.ledger"), 100);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events"), 1);
}

// The entry rules the database enforces on its own (migration 0005's one CHECK), row
// by row, whatever path writes.
TEST_P(IntakePgTest, LedgerRefusesRowsThatBreakTheEntryRules) {
  ASSERT_OK(Deliver(
      PaymentIntentSucceeded({.event_id = "evt_t", .payment_intent = "pi_t", .amount = 100})));
  const std::string payment = QueryText("SELECT entry_id::text FROM donations.ledger");
  auto insert = [&](const std::string& kind, int64_t amount, int64_t base,
                    const std::string& currency, const std::string& rate,
                    const std::string& reverses, const std::string& pledge) {
    static int n = 0;
    ++n;
    return pool_->Run([&](PgTxn& txn) {
      txn.exec_params(
          "INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, currency, "
          "rate_to_base, base_amount_minor, reverses_entry_id, pledge_id, provider, "
          "provider_event_id, payment_ref) VALUES (gen_random_uuid(), now(), $1, $2, $3, $4, "
          "$5, NULLIF($6, '')::uuid, NULLIF($7, ''), 'stripe', $8, $9)",
          kind, amount, currency, rate, base, reverses, pledge, absl::StrCat("evt_rule", n),
          absl::StrCat("pi_rule", n));
    });
  };
  struct Case {
    const char* what;
    absl::Status status;
  };
  const Case refused[] = {
      {"unknown kind", insert("gift", 100, 100, "EUR", "1", "", "")},
      {"lower-case currency", insert("one_off", 100, 100, "eur", "1", "", "")},
      {"rate not a decimal", insert("one_off", 100, 100, "EUR", "1e3", "", "")},
      {"payment linked to an entry", insert("one_off", 100, 100, "EUR", "1", payment, "")},
      {"refund without its payment", insert("refund", -10, -10, "EUR", "1", "", "")},
      {"negative payment", insert("one_off", -100, -100, "EUR", "1", "", "")},
      {"positive refund", insert("refund", 10, 10, "EUR", "1", payment, "")},
      {"recurring without pledge", insert("recurring", 100, 100, "EUR", "1", "", "")},
  };
  for (const Case& c : refused) {
    EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(std::string(c.status.message()), HasSubstr("ledger_entry_valid")) << c.what;
  }
  EXPECT_OK(insert("refund", -10, -10, "EUR", "1.5", payment, ""));
  EXPECT_OK(insert("recurring", 100, 100, "EUR", "0.92", "", "sub_1"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 3);
}

}  // namespace
}  // namespace freehold::donations::testing
