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
  EXPECT_EQ(LedgerRowsAsIs(), 0);  // answered, journaled, not copied yet
  ASSERT_OK(small_batches.CatchUp());
  EXPECT_EQ(LedgerRowsAsIs(), 7);
  ASSERT_OK(small_batches.CatchUp());  // nothing twice
  ASSERT_OK(projection_->CatchUp());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 7);
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 7 * 100 + 21);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT entry_id) FROM donations.ledger"), 7);
}

TEST_F(LedgerProjectionTest, ReadersSeeJournaledPaymentsWithoutWaiting) {
  Journal({FastPayment("evt_r1", "pi_r1", 2500), FastPayment("evt_r2", "pi_r2", 500)});
  EXPECT_EQ(LedgerRowsAsIs(), 0);
  // The read side catches up by itself.
  ASSERT_OK_AND_ASSIGN(int64_t balance, queries_->BalanceBase());
  EXPECT_EQ(balance, 3000);
  EXPECT_EQ(LedgerRowsAsIs(), 2);
}

TEST_F(LedgerProjectionTest, APaymentOfATransactionStillOpenIsCopiedOnceItCommits) {
  // A journal row inserted by a transaction that stays open (as a slow intake
  // statement would be): rows of later transactions wait behind it, none is skipped.
  pqxx::connection slow(db_url());
  pqxx::work open_txn(slow);
  open_txn.exec(
      "INSERT INTO donations.events (provider, event_id, type, kind, occurred_at, payment_ref, "
      "entry_id, entry_kind, amount_minor, currency, rate_to_base, base_amount_minor, "
      "ledger_xid) VALUES ('stripe', 'evt_slow', 'payment_intent.succeeded', 'payment', now(), "
      "'pi_slow', gen_random_uuid(), 'one_off', 700, 'EUR', '1', 700, pg_current_xact_id())");
  Journal({FastPayment("evt_fast", "pi_fast", 300)});
  ASSERT_OK(projection_->CatchUp());
  EXPECT_EQ(LedgerRowsAsIs(), 0);  // the open transaction holds the horizon back
  ASSERT_OK_AND_ASSIGN(absl::Duration held, projection_->Lag());
  EXPECT_GT(held, absl::ZeroDuration());
  open_txn.commit();
  ASSERT_OK(projection_->CatchUp());
  ASSERT_OK_AND_ASSIGN(absl::Duration caught_up, projection_->Lag());
  EXPECT_EQ(caught_up, absl::ZeroDuration());
  EXPECT_EQ(QueryText("SELECT string_agg(provider_event_id, ',' ORDER BY provider_event_id) "
                      "FROM donations.ledger"),
            "evt_fast,evt_slow");
}

TEST_F(LedgerProjectionTest, ReversalsParkedBeforeTheCopyAreAppliedWithIt) {
  // The race the projection closes: the payment is journaled while a refund for it,
  // which could not see it yet, parks.
  Journal({FastPayment("evt_pay", "pi_race", 1000)});
  ASSERT_OK(pool_->Run([](PgTxn& txn) {
    txn.exec(
        "INSERT INTO donations.parked_reversals (provider, event_id, payment_ref, kind, "
        "amount_minor, currency, occurred_at) VALUES ('stripe', 'evt_refund', 'pi_race', "
        "'refund', 400, 'EUR', now()), ('stripe', 'evt_too_much', 'pi_race', 'dispute', "
        "900, 'EUR', now())");
  }));
  ASSERT_OK(projection_->CatchUp());
  EXPECT_EQ(QueryText("SELECT string_agg(kind || ':' || amount_minor, ',' ORDER BY seq) "
                      "FROM donations.ledger"),
            "one_off:1000,refund:-400");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_reversals"), 0);
  // The dispute larger than what remained is refused and kept for an operator.
  EXPECT_EQ(QueryText("SELECT event_id FROM donations.dead_letters"), "evt_too_much");
}

TEST_F(LedgerProjectionTest, ARefundAfterAJournaledPaymentIsAppliedToIt) {
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_p", .payment_intent = "pi_p", .amount = 1000})));
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
  absl::Status s = pool_->Run([](PgTxn& txn) {
    txn.exec(
        "INSERT INTO donations.events (provider, event_id, type, kind, occurred_at, payment_ref, "
        "entry_id, entry_kind, amount_minor, currency, rate_to_base, base_amount_minor, "
        "ledger_xid) VALUES ('stripe', 'evt_bad', 'payment_intent.succeeded', 'payment', now(), "
        "'pi_bad', gen_random_uuid(), 'one_off', 700, 'EUR', '1', -5, pg_current_xact_id())");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("events_journal_entry"));
}

}  // namespace
}  // namespace freehold::donations::testing
