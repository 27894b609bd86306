// The one-statement intake (group commit: the journal statement of migration 0006, the
// jsonb statement of migrations 0002/0003)
// against the C++ rules it mirrors, over a real PostgreSQL. intake_pg_test.cc runs
// every intake scenario through both paths as well.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/donations/core/exchange_rate.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

class OneStatementIntakeTest : public DonationsPgTest {
 protected:
  void SetRates() {
    ASSERT_OK(report_
                  ->SetExchangeRates({{"USD", *ParseRate("0.92", "t"), absl::FromUnixSeconds(0)},
                                      {"JPY", *ParseRate("0.0061", "t"), absl::FromUnixSeconds(0)},
                                      {"KWD", *ParseRate("2.98", "t"), absl::FromUnixSeconds(0)}})
                  .status());
  }
};

TEST_F(OneStatementIntakeTest, SqlConversionMatchesConvertToBaseExactly) {
  std::mt19937_64 rng(20240315);
  const int digit_choices[] = {0, 2, 3};
  std::vector<std::string> rows;
  std::vector<std::string> want;
  for (int i = 0; i < 3000; ++i) {
    // Amounts across magnitudes, rates with 1..18 significant digits and 0..18 decimals.
    const int64_t amount = static_cast<int64_t>(rng() % 1000000000000ull) >> (rng() % 40);
    const int digits = digit_choices[rng() % 3];
    const int base_digits = digit_choices[rng() % 3];
    const int sig = 1 + static_cast<int>(rng() % 18);
    int64_t mantissa = 1 + static_cast<int64_t>(rng() % 9);
    for (int d = 1; d < sig; ++d) mantissa = mantissa * 10 + static_cast<int64_t>(rng() % 10);
    const int scale = static_cast<int>(rng() % 19);
    absl::StatusOr<DecimalRate> rate = ParseRate(DecimalRate{mantissa, scale}.ToString(), "r");
    ASSERT_OK(rate.status());
    absl::StatusOr<int64_t> cpp = ConvertToBase(amount, digits, *rate, base_digits);
    rows.push_back(absl::StrCat("(", i, ",", amount, ",", digits, ",'", rate->ToString(), "',",
                                base_digits, ")"));
    want.push_back(cpp.ok() ? absl::StrCat(*cpp) : "null");
  }
  // Non-canonical or out-of-range rate texts are left to the C++ path (NULL).
  for (const char* rate :
       {"1.50", "01", "0", "0.0", ".5", "1e3", "1234567890123456789", "0.0000000000000000001"}) {
    rows.push_back(absl::StrCat("(", rows.size(), ",100,2,'", rate, "',2)"));
    want.push_back("null");
  }
  const std::string got = QueryText(absl::StrCat(
      "SELECT string_agg(coalesce(donations.to_base_minor(a, d, r, b)::text, 'null'), ',' "
      "ORDER BY i) FROM (VALUES ",
      absl::StrJoin(rows, ","), ") AS t(i, a, d, r, b)"));
  EXPECT_EQ(got, absl::StrJoin(want, ","));
}

// The same deliveries through both paths (distinct ids and customers per path) give the
// same answers and the same ledger rows.
TEST_F(OneStatementIntakeTest, BothPathsAnswerAndRecordAlike) {
  SetRates();
  ASSERT_OK_AND_ASSIGN(Campaign campaign,
                       campaigns_->Create(Campaign{.title = "Disks", .goal_base_minor = 100000}));
  auto scenario = [&](const std::string& p) {
    return std::vector<std::string>{
        PaymentIntentSucceeded({.event_id = p + "e1",
                                .payment_intent = p + "pi1",
                                .amount = 2500,
                                .metadata = {{"donor_name", "Ada"}},
                                .customer = p + "cus1",
                                .receipt_email = "ada@example.org"}),
        PaymentIntentSucceeded({.event_id = p + "e2",
                                .payment_intent = p + "pi2",
                                .amount = 1001,
                                .currency = "usd",
                                .customer = p + "cus1"}),
        PaymentIntentSucceeded({.event_id = p + "e3",
                                .payment_intent = p + "pi3",
                                .amount = 120001,
                                .currency = "jpy",
                                .receipt_email = p + "x@example.org"}),
        PaymentIntentSucceeded({.event_id = p + "e4",
                                .payment_intent = p + "pi4",
                                .amount = 5125,
                                .currency = "kwd",
                                .metadata = {{"anonymous", "true"}},
                                .customer = p + "cus4"}),
        PaymentIntentSucceeded({.event_id = p + "e5",
                                .payment_intent = p + "pi5",
                                .amount = 777,
                                .metadata = {{"campaign_id", campaign.campaign_id}}}),
        InvoicePaid({.event_id = p + "e6",
                     .invoice_id = p + "in6",
                     .payment_intent = p + "pi6",
                     .subscription = p + "sub6",
                     .amount_paid = 1500,
                     .customer = p + "cus1"}),
        // The same payment reported by another event type: recorded once.
        PaymentIntentSucceeded({.event_id = p + "e7",
                                .payment_intent = p + "pi6",
                                .amount = 1500,
                                .customer = p + "cus1"}),
        PaymentIntentSucceeded({.event_id = p + "e1",
                                .payment_intent = p + "pi1",
                                .amount = 2500,
                                .metadata = {{"donor_name", "Ada"}},
                                .customer = p + "cus1",
                                .receipt_email = "ada@example.org"}),
        PaymentIntentSucceeded({.event_id = p + "e8", .payment_intent = p + "pi8", .amount = 0}),
        PaymentIntentSucceeded(
            {.event_id = p + "e9", .payment_intent = p + "pi9", .amount = 100, .currency = "gbp"}),
        PaymentIntentSucceeded({.event_id = p + "e10",
                                .payment_intent = p + "pi10",
                                .amount = 3,
                                .currency = "usd",
                                .receipt_email = p + "x@example.org"}),
    };
  };
  struct Answer {
    std::string status;
    bool token = false;
  };
  auto run = [&](const std::string& p) {
    std::vector<Answer> answers;
    for (const std::string& body : scenario(p)) {
      absl::StatusOr<IngestResponse> r = Deliver(body);
      answers.push_back(
          r.ok() ? Answer{std::string(IngestOutcomeName(r->outcome)), !r->donor_token.empty()}
                 : Answer{r.status().ToString(), false});
    }
    return answers;
  };
  const std::vector<Answer> fast = run("f_");
  EXPECT_EQ(Metric("freehold_donations_intake_path_total", {{"path", "one_statement"}}), 10);
  MakeIntake(/*group_commit=*/false);
  const std::vector<Answer> txn = run("t_");
  ASSERT_EQ(fast.size(), txn.size());
  for (size_t i = 0; i < fast.size(); ++i) {
    EXPECT_EQ(fast[i].status, txn[i].status) << "delivery " << i;
    EXPECT_EQ(fast[i].token, txn[i].token) << "delivery " << i;
  }
  // No USD rate: parked (kept whole until a rate arrives), on both paths.
  EXPECT_EQ(fast[9].status, "parked");

  auto ledger = [&](const std::string& p) {
    return absl::StrReplaceAll(
        QueryText(absl::StrCat(
            "SELECT string_agg(concat_ws(' ', provider_event_id, kind, amount_minor, currency, "
            "rate_to_base, base_amount_minor, campaign_id, pledge_id, payment_ref, "
            "donor_id IS NULL), '; ' ORDER BY provider_event_id) FROM donations.ledger "
            "WHERE provider_event_id LIKE '",
            p, "%'")),
        {{p, ""}});
  };
  EXPECT_EQ(ledger("f_"), ledger("t_"));
  EXPECT_THAT(ledger("f_"), ::testing::HasSubstr("e2 one_off 1001 USD 0.92 921 "));
  auto donor_shape = [&](const std::string& p) {
    return QueryText(
        absl::StrCat("SELECT string_agg(n::text, ',' ORDER BY n) FROM (SELECT count(*) AS n FROM "
                     "donations.ledger WHERE provider_event_id LIKE '",
                     p, "%' AND donor_id IS NOT NULL GROUP BY donor_id) t"));
  };
  EXPECT_EQ(donor_shape("f_"), donor_shape("t_"));
  EXPECT_EQ(donor_shape("f_"), "2,3");  // cus1: e1, e2, e6; the e-mail donor: e3, e10
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal WHERE customer_ref = "
                     "'f_cus1' AND name = 'Ada' AND email = 'ada@example.org'"),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_tokens"), 2 * 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events WHERE event_id LIKE 'f_%'"),
            QueryInt("SELECT count(*) FROM donations.events WHERE event_id LIKE 't_%'"));
}

TEST_F(OneStatementIntakeTest, ABatchAppliesEachEventOnItsOwn) {
  auto payment = [](const std::string& id, const std::string& currency) {
    return FastPayment(id, "pi_" + id, 500, currency);
  };
  const FastIntakeEvent good = payment("evt_good", "EUR");
  const FastIntakeEvent no_rate = payment("evt_norate", "GBP");
  // Breaks the ledger's currency CHECK inside the statement, after its claim.
  FastIntakeEvent broken = payment("evt_broken", "EUR");
  broken.entry.currency = "eur";
  const FastIntakeEvent later = payment("evt_later", "EUR");
  ASSERT_OK_AND_ASSIGN(std::vector<FastIntakeOutcome> outcomes,
                       store_->ApplyFast({&good, &no_rate, &broken, &good, &later}));
  ASSERT_EQ(outcomes.size(), 5u);
  EXPECT_EQ(outcomes[0].result, FastIntakeResult::kRecorded);
  EXPECT_EQ(outcomes[0].entry.rate_to_base, "1");
  EXPECT_EQ(outcomes[0].entry.base_amount_minor, 500);
  EXPECT_EQ(outcomes[1].result, FastIntakeResult::kNeedsTransaction);
  EXPECT_THAT(outcomes[1].reason, ::testing::HasSubstr("exchange rate"));
  EXPECT_EQ(outcomes[2].result, FastIntakeResult::kNeedsTransaction);
  EXPECT_THAT(outcomes[2].reason, ::testing::HasSubstr("23514"));  // check_violation
  EXPECT_EQ(outcomes[3].result, FastIntakeResult::kDuplicate);
  EXPECT_EQ(outcomes[4].result, FastIntakeResult::kRecorded);
  // Nothing of the failed events stayed behind, not even their idempotency records.
  EXPECT_EQ(QueryText("SELECT string_agg(event_id, ',' ORDER BY event_id) FROM donations.events"),
            "evt_good,evt_later");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 2);
}

TEST_F(OneStatementIntakeTest, TwoEventsOfOnePaymentInOneSetBasedBatchRecordItOnce) {
  // No identified donor: the batch takes the set-based statements (migration 0003).
  auto payment = [](const std::string& id, const std::string& ref) {
    return FastPayment(id, ref, 700);
  };
  const FastIntakeEvent invoice = payment("evt_s_invoice", "pi_s1");
  const FastIntakeEvent intent = payment("evt_s_intent", "pi_s1");
  const FastIntakeEvent other = payment("evt_s_other", "pi_s2");
  FastIntakeEvent info;
  info.provider = "stripe";
  info.event_id = "evt_s_info";
  info.type = "customer.created";
  info.kind = "unknown";
  info.occurred_at = absl::FromUnixSeconds(kNow);
  info.claim_only = true;
  ASSERT_OK_AND_ASSIGN(std::vector<FastIntakeOutcome> outcomes,
                       store_->ApplyFast({&invoice, &info, &intent, &other}));
  ASSERT_EQ(outcomes.size(), 4u);
  // Sorted by payment, then id: evt_s_intent comes first and records pi_s1.
  EXPECT_EQ(outcomes[0].result, FastIntakeResult::kClaimed);
  EXPECT_EQ(outcomes[1].result, FastIntakeResult::kClaimed);
  EXPECT_EQ(outcomes[2].result, FastIntakeResult::kRecorded);
  EXPECT_EQ(outcomes[2].entry.base_amount_minor, 700);
  EXPECT_EQ(outcomes[3].result, FastIntakeResult::kRecorded);
  EXPECT_EQ(QueryText("SELECT string_agg(provider_event_id, ',' ORDER BY provider_event_id) "
                      "FROM donations.ledger"),
            "evt_s_intent,evt_s_other");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.events"), 4);
  // Delivered again: duplicates, nothing added.
  ASSERT_OK_AND_ASSIGN(outcomes, store_->ApplyFast({&other, &invoice}));
  EXPECT_EQ(outcomes[0].result, FastIntakeResult::kDuplicate);
  EXPECT_EQ(outcomes[1].result, FastIntakeResult::kDuplicate);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 2);
}

TEST_F(OneStatementIntakeTest, RefundParkedBeforeItsPaymentIsAppliedByTheTransactionPath) {
  ASSERT_OK_AND_ASSIGN(IngestResponse parked,
                       Deliver(ChargeRefunded("evt_r", "pi_p", 1000, 400, "eur")));
  EXPECT_EQ(parked.outcome, IngestOutcome::kParked);
  ASSERT_OK_AND_ASSIGN(IngestResponse paid,
                       Deliver(PaymentIntentSucceeded(
                           {.event_id = "evt_p", .payment_intent = "pi_p", .amount = 1000})));
  EXPECT_EQ(paid.outcome, IngestOutcome::kRecorded);
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 600);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 0);
  EXPECT_EQ(Metric("freehold_donations_intake_path_total", {{"path", "one_statement"}}), 0);
  EXPECT_EQ(Metric("freehold_donations_intake_path_total", {{"path", "transaction"}}), 2);
}

TEST_F(OneStatementIntakeTest, ConcurrentDeliveriesShareOneTransaction) {
  // The leader waits (bounded) until all eight deliveries are queued: one batch.
  MakeIntake(
      /*group_commit=*/true,
      IntakeBatchOptions{.max_events = 8, .max_wait = absl::Seconds(20), .max_concurrent = 1});
  std::vector<std::string> bodies;
  for (int i = 0; i < 8; ++i) {
    bodies.push_back(PaymentIntentSucceeded({.event_id = absl::StrCat("evt_c", i % 6),
                                             .payment_intent = absl::StrCat("pi_c", i % 6),
                                             .amount = 100 + i % 6,
                                             .customer = "cus_c"}));
  }
  std::vector<absl::StatusOr<IngestResponse>> results(8, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { results[i] = Deliver(bodies[i]); });
  for (auto& t : threads) t.join();
  int recorded = 0, duplicate = 0;
  for (const auto& r : results) {
    ASSERT_OK(r.status());
    recorded += r->outcome == IngestOutcome::kRecorded;
    duplicate += r->outcome == IngestOutcome::kDuplicate;
  }
  EXPECT_EQ(recorded, 6);
  EXPECT_EQ(duplicate, 2);
  EXPECT_EQ(Metric("freehold_donations_intake_batch_events", {}), 1);  // one batch
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 6);
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 100 * 6 + 15);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT donor_id) FROM donations.ledger"), 1);
}

// The journal statement (migration 0006), the statement for batches without identified
// donors: one answer per event, rates looked up where none is given, a journal row per
// payment that reaches the ledger when the projection catches up, and nothing written
// for a payment that reversals are parked for.
TEST_F(OneStatementIntakeTest, JournalStatementAnswersEachEventAndSkipsParkedPayments) {
  SetRates();
  // A EUR payment (rate given), a USD payment (looked up), a GBP payment (no rate:
  // transaction path, nothing written), an informational event (claim only).
  auto batch = [](const std::string& suffix, const std::string& first_ref) {
    std::vector<FastIntakeEvent> events = {
        FastPayment("evt_a" + suffix, first_ref + suffix, 500),
        FastPayment("evt_b" + suffix, "pi_b" + suffix, 500, "USD"),
        FastPayment("evt_c" + suffix, "pi_c" + suffix, 500, "GBP")};
    events.back().currency_digits = 2;
    FastIntakeEvent info;
    info.provider = "stripe";
    info.event_id = "evt_d" + suffix;
    info.type = "customer.created";
    info.kind = "unknown";
    info.occurred_at = absl::FromUnixSeconds(kNow);
    info.claim_only = true;
    events.push_back(info);
    return events;
  };
  auto apply = [&](const std::vector<FastIntakeEvent>& events) {
    std::vector<const FastIntakeEvent*> ptrs;
    for (const FastIntakeEvent& e : events) ptrs.push_back(&e);
    return store_->ApplyFast(ptrs);
  };
  const std::vector<FastIntakeEvent> first = batch("1", "pi_a");
  ASSERT_OK_AND_ASSIGN(std::vector<FastIntakeOutcome> outcomes, apply(first));
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0].result, FastIntakeResult::kRecorded);
  EXPECT_EQ(outcomes[0].entry.rate_to_base, "1");
  EXPECT_EQ(outcomes[0].entry.base_amount_minor, 500);
  EXPECT_EQ(outcomes[1].result, FastIntakeResult::kRecorded);
  EXPECT_EQ(outcomes[1].entry.rate_to_base, "0.92");
  EXPECT_EQ(outcomes[1].entry.base_amount_minor, 460);
  EXPECT_EQ(outcomes[2].result, FastIntakeResult::kNeedsTransaction);
  EXPECT_EQ(outcomes[3].result, FastIntakeResult::kClaimed);
  // The journal: the payments' rows carry their entries, the other event none.
  ASSERT_OK(pool_->Run([](PgTxn& txn) {
    EXPECT_EQ(txn.exec("SELECT string_agg(event_id || ':' || coalesce(base_amount_minor::text, "
                       "'-') || ':' || (ledger_xid IS NOT NULL)::text, ',' ORDER BY event_id) "
                       "FROM donations.events")[0][0]
                  .as<std::string>(),
              "evt_a1:500:true,evt_b1:460:true,evt_d1:-:false");
  }));
  EXPECT_EQ(QueryText("SELECT string_agg(provider_event_id || ':' || base_amount_minor || ':' || "
                      "rate_to_base, ',' ORDER BY provider_event_id) FROM donations.ledger"),
            "evt_a1:500:1,evt_b1:460:0.92");
  // Delivered again: duplicates (the GBP one still has no rate).
  ASSERT_OK_AND_ASSIGN(outcomes, apply(first));
  EXPECT_EQ(outcomes[0].result, FastIntakeResult::kDuplicate);
  EXPECT_EQ(outcomes[1].result, FastIntakeResult::kDuplicate);
  EXPECT_EQ(outcomes[2].result, FastIntakeResult::kNeedsTransaction);
  EXPECT_EQ(outcomes[3].result, FastIntakeResult::kDuplicate);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 2);

  // A refund parked for the first payment: that payment is left to the transaction
  // path with nothing written; the rest of the batch is recorded.
  ASSERT_OK(pool_->Run([](PgTxn& txn) {
    txn.exec(
        "INSERT INTO donations.parked_reversals (provider, event_id, payment_ref, kind, "
        "amount_minor, currency, occurred_at) VALUES ('stripe', 'evt_r', 'pi_parked2', "
        "'refund', 100, 'EUR', now())");
  }));
  ASSERT_OK_AND_ASSIGN(outcomes, apply(batch("2", "pi_parked")));
  EXPECT_EQ(outcomes[0].result, FastIntakeResult::kNeedsTransaction);
  EXPECT_EQ(outcomes[1].result, FastIntakeResult::kRecorded);
  EXPECT_EQ(QueryText("SELECT string_agg(event_id, ',' ORDER BY event_id) FROM donations.events "
                      "WHERE event_id LIKE '%2'"),
            "evt_b2,evt_d2");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 3);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 1);
}

TEST_F(OneStatementIntakeTest, BatchWithAParkedPaymentFallsBackEventByEvent) {
  // Through ApplyFast: the journal statement leaves the parked payment to the
  // transaction path (nothing of it written) and records the other one.
  ASSERT_OK_AND_ASSIGN(IngestResponse parked,
                       Deliver(ChargeRefunded("evt_r", "pi_p", 1000, 400, "eur")));
  EXPECT_EQ(parked.outcome, IngestOutcome::kParked);
  auto payment = [](const std::string& id, const std::string& ref) {
    return FastPayment(id, ref, 1000);
  };
  const FastIntakeEvent waiting = payment("evt_p", "pi_p");
  const FastIntakeEvent other = payment("evt_q", "pi_q");
  ASSERT_OK_AND_ASSIGN(std::vector<FastIntakeOutcome> outcomes,
                       store_->ApplyFast({&waiting, &other}));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].result, FastIntakeResult::kNeedsTransaction);
  EXPECT_EQ(outcomes[1].result, FastIntakeResult::kRecorded);
  EXPECT_EQ(QueryText("SELECT string_agg(event_id, ',' ORDER BY event_id) FROM donations.events"),
            "evt_q,evt_r");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 1);
}

}  // namespace
}  // namespace freehold::donations::testing
