// Donation intents (core/donation_intents.h over PgIntentStore, migration 0008): the
// portal's intent links Stripe's payments and pledges to the donor, whose history,
// receipts and pledges are then reachable with the intent's donor token; pledges are
// listed and cancelled (recorded; the answer names what to cancel at Stripe).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/donations/core/donation_intents.h"
#include "services/donations/core/donor_token.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

using freehold::testing::StatusIs;
using ::testing::HasSubstr;

// Runs through both intake paths, like the intake tests.
class DonationIntentsPgTest : public DonationsPgTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    DonationsPgTest::SetUp();
    if (HasFatalFailure()) return;
    MakeIntake(/*group_commit=*/GetParam());
    intent_store_ = std::make_unique<PgIntentStore>(*pool_, projection_.get());
    intents_ = std::make_unique<DonationIntents>(*intent_store_, *queries_, clock_);
  }
  void TearDown() override {
    intents_.reset();
    intent_store_.reset();
    DonationsPgTest::TearDown();
  }

  // A subscription event whose metadata names `donor_ref`.
  static std::string SubscriptionFor(const std::string& type, const std::string& event_id,
                                     const std::string& sub, const std::string& donor_ref,
                                     std::optional<int64_t> canceled_at = std::nullopt) {
    nlohmann::json e = nlohmann::json::parse(
        SubscriptionEvent(type, event_id, sub, 1000, "eur", "month", 1, kNow, canceled_at));
    e["data"]["object"]["metadata"]["donor_ref"] = donor_ref;
    return e.dump();
  }

  std::unique_ptr<PgIntentStore> intent_store_;
  std::unique_ptr<DonationIntents> intents_;
};

INSTANTIATE_TEST_SUITE_P(Paths, DonationIntentsPgTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "GroupCommit" : "Transaction";
                         });

TEST_P(DonationIntentsPgTest, AOneOffPaymentNamingTheIntentIsTheDonorsWithTheIntentsToken) {
  ASSERT_OK_AND_ASSIGN(DonationIntent intent, intents_->Create({.amount_minor = 2500,
                                                                .currency = "eur",
                                                                .donor_name = "Ada",
                                                                .donor_email = "ada@example.org"}));
  EXPECT_TRUE(LooksLikeDonorRef(intent.intent.donor_ref));
  EXPECT_TRUE(LooksLikeDonorToken(intent.donor_token));
  EXPECT_EQ(intent.intent.currency, "EUR");
  // Stripe reports the payment with the reference in the PaymentIntent's metadata, and
  // a customer of its own: the payment is the intent's donor's, no second donor.
  ASSERT_OK_AND_ASSIGN(
      IngestResponse r,
      Deliver(PaymentIntentSucceeded({.event_id = "evt_i1",
                                      .payment_intent = "pi_i1",
                                      .amount = 2500,
                                      .metadata = {{"donor_ref", intent.intent.donor_ref}},
                                      .customer = "cus_i1",
                                      .receipt_email = "ada@example.org"})));
  EXPECT_EQ(r.outcome, IngestOutcome::kRecorded);
  EXPECT_TRUE(r.donor_token.empty());  // the portal holds the token already
  ASSERT_OK_AND_ASSIGN(std::vector<LedgerEntry> mine,
                       portal_->ListMyDonations(intent.donor_token, {}));
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].amount_minor, 2500);
  EXPECT_EQ(mine[0].donor_id, intent.intent.donor_id);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donors"), 1);
  ASSERT_OK_AND_ASSIGN(Receipt receipt, portal_->GetReceipt(intent.donor_token, mine[0].entry_id));
  EXPECT_THAT(receipt.text, HasSubstr("Ada"));
  // The donor erases the contact they gave; the ledger keeps the payment.
  ASSERT_OK(portal_->Erase(intent.donor_token));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 1);
}

TEST_P(DonationIntentsPgTest, AnUnknownReferenceLosesNothing) {
  ASSERT_OK_AND_ASSIGN(
      IngestResponse r,
      Deliver(PaymentIntentSucceeded({.event_id = "evt_u",
                                      .payment_intent = "pi_u",
                                      .amount = 700,
                                      .metadata = {{"donor_ref", "fhr_AAAAAAAAAAAAAAAAAAAAAA"}},
                                      .customer = "cus_u"})));
  EXPECT_EQ(r.outcome, IngestOutcome::kRecorded);
  EXPECT_FALSE(r.donor_token.empty());  // an ordinary identified donor
  EXPECT_EQ(QueryInt("SELECT sum(amount_minor) FROM donations.ledger"), 700);
}

TEST_P(DonationIntentsPgTest, MonthlyPledgeIsListedAndCancelledByItsDonorOnly) {
  ASSERT_OK_AND_ASSIGN(
      DonationIntent intent,
      intents_->Create({.amount_minor = 1000, .currency = "EUR", .monthly = true}));
  ASSERT_OK_AND_ASSIGN(DonationIntent other,
                       intents_->Create({.amount_minor = 500, .currency = "EUR"}));
  const std::string& ref = intent.intent.donor_ref;
  ASSERT_OK(Deliver(SubscriptionFor("customer.subscription.created", "evt_s1", "sub_m", ref)));
  nlohmann::json invoice = nlohmann::json::parse(InvoicePaid({.event_id = "evt_inv1",
                                                              .invoice_id = "in_m1",
                                                              .payment_intent = "pi_m1",
                                                              .subscription = "sub_m",
                                                              .amount_paid = 1000,
                                                              .customer = "cus_m"}));
  invoice["data"]["object"]["subscription_details"]["metadata"]["donor_ref"] = ref;
  ASSERT_OK(Deliver(invoice.dump()));

  ASSERT_OK_AND_ASSIGN(std::vector<LedgerEntry> mine,
                       portal_->ListMyDonations(intent.donor_token, {}));
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].kind, EntryKind::kRecurring);
  ASSERT_OK_AND_ASSIGN(std::vector<Pledge> pledges,
                       intents_->ListMyPledges(intent.donor_token, 0, 50));
  ASSERT_EQ(pledges.size(), 1u);
  EXPECT_EQ(pledges[0].info.pledge_id, "sub_m");
  EXPECT_TRUE(pledges[0].active);
  ASSERT_OK_AND_ASSIGN(pledges, intents_->ListMyPledges(other.donor_token, 0, 50));
  EXPECT_TRUE(pledges.empty());

  // Someone else's token cannot cancel it; malformed input is refused by name.
  EXPECT_THAT(intents_->CancelMyPledge(other.donor_token, "sub_m"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("pledge_id")));
  EXPECT_THAT(intents_->CancelMyPledge(intent.donor_token, std::string(300, 's')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pledge_id")));
  EXPECT_THAT(intents_->CancelMyPledge(intent.donor_token, "sub m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pledge_id")));
  EXPECT_THAT(intents_->CancelMyPledge("fhd_" + std::string(43, 'A'), "sub_m"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(intents_->CancelMyPledge("", "sub_m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("donor_token")));

  ASSERT_OK_AND_ASSIGN(PledgeCancellation c, intents_->CancelMyPledge(intent.donor_token, "sub_m"));
  EXPECT_EQ(c.provider, "stripe");
  EXPECT_EQ(c.provider_subscription, "sub_m");
  EXPECT_FALSE(c.already_cancelled);
  EXPECT_EQ(c.requested_at, clock_.Now());
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(PledgeCancellation again,
                       intents_->CancelMyPledge(intent.donor_token, "sub_m"));
  EXPECT_EQ(again.requested_at, c.requested_at);  // the first request is kept
  EXPECT_EQ(QueryText("SELECT cancel_requested_at IS NOT NULL AND cancelled_at IS NULL "
                      "FROM donations.pledges"),
            "t");
  // Stripe confirms: the pledge is inactive; asking again needs nothing at Stripe.
  ASSERT_OK(Deliver(
      SubscriptionFor("customer.subscription.deleted", "evt_s2", "sub_m", ref, kNow + 300)));
  ASSERT_OK_AND_ASSIGN(pledges, intents_->ListMyPledges(intent.donor_token, 0, 50));
  ASSERT_EQ(pledges.size(), 1u);
  EXPECT_FALSE(pledges[0].active);
  ASSERT_OK_AND_ASSIGN(again, intents_->CancelMyPledge(intent.donor_token, "sub_m"));
  EXPECT_TRUE(again.already_cancelled);
}

TEST_P(DonationIntentsPgTest, InvalidIntentsAreRefusedNamingTheField) {
  struct Case {
    DonationIntentRequest request;
    absl::StatusCode code;
    std::string field;
  };
  ASSERT_OK_AND_ASSIGN(Campaign ended,
                       campaigns_->Create({.title = "Over",
                                           .goal_base_minor = 5,
                                           .start = absl::FromUnixSeconds(kNow - 10 * 86400),
                                           .end = absl::FromUnixSeconds(kNow - 86400)}));
  const std::vector<Case> cases = {
      {{.amount_minor = 0, .currency = "EUR"},
       absl::StatusCode::kInvalidArgument,
       "amount.amount_minor"},
      {{.amount_minor = -5, .currency = "EUR"},
       absl::StatusCode::kInvalidArgument,
       "amount.amount_minor"},
      {{.amount_minor = 1'000'000'000'001, .currency = "EUR"},
       absl::StatusCode::kInvalidArgument,
       "amount.amount_minor"},
      {{.amount_minor = 100, .currency = "XXX"},
       absl::StatusCode::kInvalidArgument,
       "amount.currency"},
      {{.amount_minor = 100, .currency = ""},
       absl::StatusCode::kInvalidArgument,
       "amount.currency"},
      {{.amount_minor = 100, .currency = "EUR", .campaign_id = "not-a-uuid"},
       absl::StatusCode::kInvalidArgument,
       "campaign_id"},
      {{.amount_minor = 100,
        .currency = "EUR",
        .campaign_id = "00000000-0000-4000-8000-000000000000"},
       absl::StatusCode::kNotFound,
       "campaign_id"},
      {{.amount_minor = 100, .currency = "EUR", .campaign_id = ended.campaign_id},
       absl::StatusCode::kFailedPrecondition,
       "campaign_id"},
      {{.amount_minor = 100, .currency = "EUR", .donor_name = std::string(201, 'n')},
       absl::StatusCode::kInvalidArgument,
       "contact.name"},
      {{.amount_minor = 100, .currency = "EUR", .donor_name = "a\nb"},
       absl::StatusCode::kInvalidArgument,
       "contact.name"},
      {{.amount_minor = 100, .currency = "EUR", .donor_email = "no-at-sign"},
       absl::StatusCode::kInvalidArgument,
       "contact.email"},
      {{.amount_minor = 100, .currency = "EUR", .donor_email = "a@b@c"},
       absl::StatusCode::kInvalidArgument,
       "contact.email"},
      {{.amount_minor = 100, .currency = "EUR", .donor_email = std::string(320, 'e') + "@x"},
       absl::StatusCode::kInvalidArgument,
       "contact.email"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<DonationIntent> got = intents_->Create(c.request);
    EXPECT_THAT(got, StatusIs(c.code, HasSubstr(c.field))) << c.field;
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donation_intents"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donors"), 0);
}

// The intents table is append-only: the service's role has no UPDATE, DELETE or
// TRUNCATE privilege (migration 0008's grant), and triggers refuse even the owner.
TEST_P(DonationIntentsPgTest, TheAppRoleMayInsertIntentsButNotChangeThem) {
  ASSERT_OK(intents_->Create({.amount_minor = 100, .currency = "EUR"}).status());
  for (const std::string sql :
       {"UPDATE donations.donation_intents SET amount_minor = 1",
        "DELETE FROM donations.donation_intents", "TRUNCATE donations.donation_intents"}) {
    absl::Status s = pool_->Run([&](PgTxn& txn) {
      txn.exec("SET LOCAL ROLE freehold_donations_app");
      txn.exec(sql);
    });
    EXPECT_FALSE(s.ok()) << sql;
    EXPECT_THAT(std::string(s.message()), HasSubstr("permission denied")) << sql;
  }
  EXPECT_OK(pool_->Run([&](PgTxn& txn) {
    txn.exec("SET LOCAL ROLE freehold_donations_app");
    txn.exec("SELECT count(*) FROM donations.donation_intents");
    txn.exec("UPDATE donations.pledges SET cancel_requested_at = now() WHERE false");
  }));
  for (const std::string sql :
       {"UPDATE donations.donation_intents SET amount_minor = 1",
        "DELETE FROM donations.donation_intents", "TRUNCATE donations.donation_intents"}) {
    absl::Status s = pool_->Run([&](PgTxn& txn) { txn.exec(sql); });  // as the owner
    EXPECT_THAT(std::string(s.message()), HasSubstr("append-only")) << sql;
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donation_intents"), 1);
}

}  // namespace
}  // namespace freehold::donations::testing
