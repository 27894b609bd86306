// The ledger projection (pg/migrations/0006_ledger_journal.sql, PgLedgerProjection):
// payments journaled by the one-statement intake reach the ledger exactly once, in
// batches, never ahead of a transaction that has not ended, and with the reversals
// that were parked for them.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

// Inserts a journal row as the journal statement would, in `txn` (left open by the
// caller to stand for a slow intake statement): a EUR payment, base amount `base`.
void JournalRowIn(PgTxn& txn, const std::string& event_id, const std::string& payment_ref,
                  int64_t amount, int64_t base) {
  txn.exec(absl::StrCat(
      "INSERT INTO donations.events (provider, event_id, type, kind, occurred_at, payment_ref, "
      "entry_id, entry_kind, amount_minor, currency, rate_to_base, base_amount_minor, "
      "ledger_xid) VALUES ('stripe', ",
      txn.quote(event_id),
      ", 'payment_intent.succeeded', "
      "'payment', now(), ",
      txn.quote(payment_ref), ", gen_random_uuid(), 'one_off', ", amount, ", 'EUR', '1', ", base,
      ", pg_current_xact_id())"));
}

class LedgerProjectionTest : public DonationsPgTest {
 protected:
  // Journals `events` through the one-statement intake; every one must be recorded.
  void Journal(const std::vector<FastIntakeEvent>& events) {
    std::vector<const FastIntakeEvent*> ptrs;
    for (const FastIntakeEvent& e : events) ptrs.push_back(&e);
    ASSERT_OK_AND_ASSIGN(std::vector<FastIntakeOutcome> outcomes, store_->ApplyFast(ptrs));
    for (const FastIntakeOutcome& o : outcomes) EXPECT_EQ(o.result, FastIntakeResult::kRecorded);
  }
  // Ledger rows, read without catching up (QueryInt catches up first).
  int64_t LedgerRowsAsIs() {
    absl::StatusOr<int64_t> n = pool_->Run([](PgTxn& txn) {
      return txn.exec("SELECT count(*) FROM donations.ledger")[0][0].as<int64_t>();
    });
    EXPECT_OK(n);
    return n.value_or(-1);
  }
};

TEST_F(LedgerProjectionTest, JournaledPaymentsReachTheLedgerOnceInBatches) {
  PgLedgerProjection small_batches(*pool_, "EUR", Logger("t", LogLevel::kInfo), 2);
  for (int i = 0; i < 7; ++i) {
    Journal({FastPayment(absl::StrCat("evt_", i), absl::StrCat("pi_", i), 100 + i)});
  }
  // Three in one transaction, more than a batch of the projection.
  Journal({FastPayment("evt_t1", "pi_t1", 1), FastPayment("evt_t2", "pi_t2", 2),
           FastPayment("evt_t3", "pi_t3", 3)});
  EXPECT_EQ(LedgerRowsAsIs(), 0);  // answered, journaled, not copied yet
  ASSERT_OK(small_batches.CatchUp());
  EXPECT_EQ(LedgerRowsAsIs(), 10);
  // Nothing is even tried twice: an INSERT skipped by ON CONFLICT would still draw a
  // ledger seq value.
  auto seq = [&] {
    absl::StatusOr<int64_t> v = pool_->Run([](PgTxn& txn) {
      return txn.exec("SELECT last_value FROM donations.ledger_seq_seq")[0][0].as<int64_t>();
    });
    EXPECT_OK(v);
    return v.value_or(-1);
  };
  const int64_t before = seq();
  ASSERT_OK(small_batches.CatchUp());
  ASSERT_OK(projection_->CatchUp());
  EXPECT_EQ(seq(), before);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 10);
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 7 * 100 + 21 + 6);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT entry_id) FROM donations.ledger"), 10);
}

TEST_F(LedgerProjectionTest, ReadersSeeJournaledPaymentsWithoutWaiting) {
  Journal({FastPayment("evt_r1", "pi_r1", 2500), FastPayment("evt_r2", "pi_r2", 500)});
  EXPECT_EQ(LedgerRowsAsIs(), 0);
  // The read side catches up by itself.
  ASSERT_OK_AND_ASSIGN(int64_t balance, queries_->BalanceBase());
  EXPECT_EQ(balance, 3000);
  EXPECT_EQ(LedgerRowsAsIs(), 2);
}

// A journal row inserted by a transaction that stays open (as a slow intake statement
// would be) holds the projection's horizon back; payments committed meanwhile are
// copied anyway, and its own once it commits: none is skipped, none waits for it.
TEST_F(LedgerProjectionTest, ATransactionStillOpenHoldsNothingBackAndIsCopiedOnceItCommits) {
  pqxx::connection slow(db_url());
  pqxx::work open_txn(slow);
  JournalRowIn(open_txn, "evt_slow", "pi_slow", 700, 700);
  Journal({FastPayment("evt_fast", "pi_fast", 300)});
  ASSERT_OK(projection_->CatchUp());
  EXPECT_EQ(QueryText("SELECT string_agg(provider_event_id, ',') FROM donations.ledger"),
            "evt_fast");
  ASSERT_OK_AND_ASSIGN(absl::Duration lag, projection_->Lag());
  EXPECT_EQ(lag, absl::ZeroDuration());
  open_txn.exec("SELECT pg_sleep(0.05)");
  open_txn.commit();
  ASSERT_OK_AND_ASSIGN(lag, projection_->Lag());  // committed, waiting for its copy
  EXPECT_GE(lag, absl::Milliseconds(50));
  Journal({FastPayment("evt_later", "pi_later", 1)});
  ASSERT_OK(projection_->CatchUp());
  EXPECT_EQ(QueryText("SELECT string_agg(provider_event_id, ',' ORDER BY provider_event_id) "
                      "FROM donations.ledger"),
            "evt_fast,evt_later,evt_slow");
  ASSERT_OK_AND_ASSIGN(lag, projection_->Lag());
  EXPECT_EQ(lag, absl::ZeroDuration());
}

TEST_F(LedgerProjectionTest, ReversalsParkedBeforeTheCopyAreAppliedWithIt) {
  // The race the projection closes: a payment's journal row is not committed yet when
  // a refund and a dispute for it arrive; they cannot see it and park.
  pqxx::connection slow(db_url());
  pqxx::work payment_txn(slow);
  JournalRowIn(payment_txn, "evt_pay", "pi_race", 1000, 1000);
  ASSERT_OK_AND_ASSIGN(IngestResponse refund,
                       Deliver(ChargeRefunded("evt_refund", "pi_race", 1000, 400, "eur")));
  EXPECT_EQ(refund.outcome, IngestOutcome::kParked);
  ASSERT_OK(pool_->Run([](PgTxn& txn) {  // a lost dispute larger than what will remain
    txn.exec(
        "INSERT INTO donations.parked_reversals (provider, event_id, payment_ref, kind, "
        "amount_minor, currency, occurred_at) VALUES ('stripe', 'evt_too_much', 'pi_race', "
        "'dispute', 900, 'EUR', now())");
  }));
  payment_txn.commit();
  ASSERT_OK(projection_->CatchUp());
  EXPECT_EQ(QueryText("SELECT string_agg(kind || ':' || amount_minor, ',' ORDER BY seq) "
                      "FROM donations.ledger"),
            "one_off:1000,refund:-400");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 0);
  // The dispute larger than what remained is refused and kept for an operator.
  EXPECT_EQ(QueryText("SELECT event_id FROM donations.dead_letters"), "evt_too_much");
}

// Parked reversals applied by the projection count in the refund and chargeback
// metrics, whichever way the projection runs: (1) on its own (the background thread,
// `projection_->CatchUp()`), or (2) inside another call that catches up first (here an
// intake transaction: the next refund). The payment itself was counted when its
// journal row was answered, so it is not counted again.
class ProjectedReversalMetricsTest : public LedgerProjectionTest,
                                     public ::testing::WithParamInterface<bool> {};

TEST_P(ProjectedReversalMetricsTest, ParkedReversalsAppliedByTheProjectionAreCounted) {
  const bool inline_catch_up = GetParam();
  projection_->CountInto(metrics_.get());
  pqxx::connection slow(db_url());
  pqxx::work payment_txn(slow);
  JournalRowIn(payment_txn, "evt_pay", "pi_m", 1000, 1000);
  ASSERT_OK_AND_ASSIGN(IngestResponse refund,
                       Deliver(ChargeRefunded("evt_refund", "pi_m", 1000, 400, "eur")));
  EXPECT_EQ(refund.outcome, IngestOutcome::kParked);
  ASSERT_OK_AND_ASSIGN(IngestResponse dispute,
                       Deliver(DisputeClosed("evt_dispute", "pi_m", 300, "eur", "lost")));
  EXPECT_EQ(dispute.outcome, IngestOutcome::kParked);
  payment_txn.commit();
  const double received_before = Metric("freehold_donations_received_total", {{"kind", "one_off"}});
  if (inline_catch_up) {
    // A refund for another payment takes the transaction path, which catches up first.
    ASSERT_OK(Deliver(ChargeRefunded("evt_other", "pi_other", 500, 100, "eur")));
  } else {
    ASSERT_OK(projection_->CatchUp());
  }
  EXPECT_EQ(QueryText("SELECT string_agg(kind || ':' || amount_minor, ',' ORDER BY kind) "
                      "FROM donations.ledger"),
            "chargeback:-300,one_off:1000,refund:-400");
  EXPECT_EQ(Metric("freehold_donation_refunds_total", {}), 1);
  EXPECT_EQ(Metric("freehold_donation_refunds_base_total", {{"currency", "EUR"}}), 400);
  EXPECT_EQ(Metric("freehold_donation_chargebacks_total", {}), 1);
  EXPECT_EQ(Metric("freehold_donation_chargebacks_base_total", {{"currency", "EUR"}}), 300);
  EXPECT_EQ(Metric("freehold_donations_received_total", {{"kind", "one_off"}}), received_before);
}

INSTANTIATE_TEST_SUITE_P(Paths, ProjectedReversalMetricsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "InsideAnotherCall" : "BackgroundCatchUp";
                         });

TEST_F(LedgerProjectionTest, ARefundAfterAJournaledPaymentIsAppliedToIt) {
  ASSERT_OK(Deliver(
      PaymentIntentSucceeded({.event_id = "evt_p", .payment_intent = "pi_p", .amount = 1000})));
  EXPECT_EQ(LedgerRowsAsIs(), 0);
  // The refund's transaction catches up first: the payment is found, not parked.
  ASSERT_OK_AND_ASSIGN(IngestResponse refund,
                       Deliver(ChargeRefunded("evt_rf", "pi_p", 1000, 250, "eur")));
  EXPECT_EQ(refund.outcome, IngestOutcome::kRecorded);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 0);
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 750);
}

TEST_F(LedgerProjectionTest, TheJournalRefusesAnEntryTheLedgerWouldRefuse) {
  // A journal row is copied without checks, so the journal itself keeps the ledger's
  // row rule: a payment with a negative base amount cannot be journaled.
  absl::Status s = pool_->Run([](PgTxn& txn) { JournalRowIn(txn, "evt_bad", "pi_bad", 700, -5); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("events_journal_entry"));
}

}  // namespace
}  // namespace freehold::donations::testing
