// Parsing Stripe event JSON into provider events; malformed bodies named precisely.
#include "services/donations/core/stripe_provider.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations {
namespace {

using freehold::testing::StatusIs;
using json = nlohmann::json;
using testing::kNow;

class StripeParseTest : public ::testing::Test {
 protected:
  StripeProvider stripe_{std::make_shared<const WebhookSecrets>(std::vector<std::string>{"s"}),
                         absl::Minutes(5)};
};

TEST_F(StripeParseTest, PaymentIntentSucceeded) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent e,
                       stripe_.Parse(testing::PaymentIntentSucceeded(
                           {.event_id = "evt_1",
                            .payment_intent = "pi_1",
                            .amount = 5120,
                            .currency = "kwd",
                            .metadata = {{"campaign_id", "0b6d4c2e-8a1f-4e7b-9c3d-2f5a6b7c8d9e"},
                                         {"donor_name", "Ada"}},
                            .customer = "cus_9",
                            .receipt_email = "ada@example.org"})));
  EXPECT_EQ(e.provider, "stripe");
  EXPECT_EQ(e.event_id, "evt_1");
  EXPECT_EQ(e.type, "payment_intent.succeeded");
  EXPECT_EQ(e.kind, EventKind::kPayment);
  EXPECT_EQ(e.occurred_at, absl::FromUnixSeconds(kNow));
  EXPECT_EQ(e.payment_ref, "pi_1");
  EXPECT_EQ(e.amount_minor, 5120);
  EXPECT_EQ(e.currency, "KWD");
  EXPECT_EQ(e.campaign_id, "0b6d4c2e-8a1f-4e7b-9c3d-2f5a6b7c8d9e");
  EXPECT_FALSE(e.anonymous);
  EXPECT_EQ(e.donor.customer_ref, "cus_9");
  EXPECT_EQ(e.donor.email, "ada@example.org");
  EXPECT_EQ(e.donor.name, "Ada");
}

TEST_F(StripeParseTest, AnonymousDonationCarriesNoPersonalData) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent e,
                       stripe_.Parse(testing::PaymentIntentSucceeded(
                           {.event_id = "evt_2",
                            .payment_intent = "pi_2",
                            .amount = 100,
                            .metadata = {{"anonymous", "true"}, {"donor_name", "Hidden"}},
                            .customer = "cus_hidden",
                            .receipt_email = "hidden@example.org"})));
  EXPECT_TRUE(e.anonymous);
  EXPECT_FALSE(e.donor.identified());
  EXPECT_TRUE(e.donor.name.empty());
  EXPECT_TRUE(e.donor.email.empty());
}

TEST_F(StripeParseTest, InvoicePaidIsARecurringPaymentOfItsSubscription) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent e,
                       stripe_.Parse(testing::InvoicePaid({.event_id = "evt_3",
                                                           .invoice_id = "in_3",
                                                           .payment_intent = "pi_3",
                                                           .subscription = "sub_3",
                                                           .amount_paid = 1000,
                                                           .currency = "usd",
                                                           .customer = "cus_3"})));
  EXPECT_EQ(e.kind, EventKind::kRecurringPayment);
  EXPECT_EQ(e.pledge_id, "sub_3");
  EXPECT_EQ(e.payment_ref, "pi_3");
  EXPECT_EQ(e.currency, "USD");
}

// API 2025-03-31 ("basil"): no invoice.payment_intent/charge/subscription; the payment
// is named by the invoice's InvoicePayment objects, the subscription by its parent.
TEST_F(StripeParseTest, BasilInvoicePaidNamesThePaymentIntentOfItsInvoicePayment) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent e,
                       stripe_.Parse(testing::InvoicePaidBasil({.event_id = "evt_b",
                                                                .invoice_id = "in_b",
                                                                .payment_intent = "pi_b",
                                                                .subscription = "sub_b",
                                                                .amount_paid = 1000,
                                                                .customer = "cus_b"})));
  EXPECT_EQ(e.kind, EventKind::kRecurringPayment);
  EXPECT_EQ(e.pledge_id, "sub_b");
  EXPECT_EQ(e.payment_ref, "pi_b");
  // An open (unpaid) InvoicePayment names nothing: the invoice id stays the reference.
  json body = json::parse(testing::InvoicePaidBasil({.event_id = "evt_c",
                                                     .invoice_id = "in_c",
                                                     .payment_intent = "pi_c",
                                                     .subscription = "sub_c",
                                                     .amount_paid = 1000}));
  body["data"]["object"]["payments"]["data"][0]["status"] = "open";
  ASSERT_OK_AND_ASSIGN(e, stripe_.Parse(body.dump()));
  EXPECT_EQ(e.payment_ref, "in_c");
  // A charge paid without a PaymentIntent.
  body["data"]["object"]["payments"]["data"][0]["status"] = "paid";
  body["data"]["object"]["payments"]["data"][0]["payment"] = {{"type", "charge"},
                                                              {"charge", "ch_c"}};
  ASSERT_OK_AND_ASSIGN(e, stripe_.Parse(body.dump()));
  EXPECT_EQ(e.payment_ref, "ch_c");
}

TEST_F(StripeParseTest, PaymentIntentOfAnInvoiceIsInformational) {
  json body = json::parse(testing::PaymentIntentSucceeded(
      {.event_id = "evt_4", .payment_intent = "pi_4", .amount = 1000}));
  body["data"]["object"]["invoice"] = "in_4";
  ASSERT_OK_AND_ASSIGN(ProviderEvent e, stripe_.Parse(body.dump()));
  EXPECT_TRUE(e.informational);
}

TEST_F(StripeParseTest, RefundCarriesTheCumulativeRefundedAmount) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent e,
                       stripe_.Parse(testing::ChargeRefunded("evt_5", "pi_5", 1000, 300, "eur")));
  EXPECT_EQ(e.kind, EventKind::kRefund);
  EXPECT_EQ(e.payment_ref, "pi_5");
  EXPECT_EQ(e.amount_minor, 300);
}

TEST_F(StripeParseTest, DisputeClosedLostIsAChargeback) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent lost,
                       stripe_.Parse(testing::DisputeClosed("evt_6", "pi_6", 700, "eur", "lost")));
  EXPECT_EQ(lost.kind, EventKind::kDispute);
  EXPECT_TRUE(lost.dispute_lost);
  EXPECT_EQ(lost.payment_ref, "pi_6");
  ASSERT_OK_AND_ASSIGN(ProviderEvent won,
                       stripe_.Parse(testing::DisputeClosed("evt_7", "pi_6", 700, "eur", "won")));
  EXPECT_FALSE(won.dispute_lost);
}

TEST_F(StripeParseTest, SubscriptionsArePledges) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent created, stripe_.Parse(testing::SubscriptionEvent(
                                                  "customer.subscription.created", "evt_8", "sub_8",
                                                  500, "eur", "month", 3)));
  EXPECT_EQ(created.kind, EventKind::kPledgeCreated);
  EXPECT_EQ(created.pledge.pledge_id, "sub_8");
  EXPECT_EQ(created.pledge.amount_minor, 1500);
  EXPECT_EQ(created.pledge.interval, "month");
  EXPECT_FALSE(created.pledge.cancelled_at.has_value());
  ASSERT_OK_AND_ASSIGN(ProviderEvent deleted, stripe_.Parse(testing::SubscriptionEvent(
                                                  "customer.subscription.deleted", "evt_9", "sub_8",
                                                  500, "eur", "month", 3, kNow, kNow + 50)));
  EXPECT_EQ(deleted.kind, EventKind::kPledgeCancelled);
  ASSERT_TRUE(deleted.pledge.cancelled_at.has_value());
  EXPECT_EQ(*deleted.pledge.cancelled_at, absl::FromUnixSeconds(kNow + 50));
}

TEST_F(StripeParseTest, UnknownTypesParseAsUnknown) {
  ASSERT_OK_AND_ASSIGN(ProviderEvent e,
                       stripe_.Parse(testing::GenericEvent("evt_10", "customer.updated")));
  EXPECT_EQ(e.kind, EventKind::kUnknown);
  EXPECT_EQ(e.type, "customer.updated");
}

struct Malformed {
  const char* name;
  std::function<std::string()> body;
  const char* field;
};

class StripeMalformedTest : public StripeParseTest,
                            public ::testing::WithParamInterface<Malformed> {};

std::string Mutate(const std::function<void(json&)>& f) {
  json body = json::parse(testing::PaymentIntentSucceeded(
      {.event_id = "evt_m", .payment_intent = "pi_m", .amount = 1000}));
  f(body);
  return body.dump();
}

TEST_P(StripeMalformedTest, IsRejectedNamingTheField) {
  EXPECT_THAT(stripe_.Parse(GetParam().body()),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr(GetParam().field)));
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, StripeMalformedTest,
    ::testing::Values(
        Malformed{"NotJson", [] { return std::string("{\"id\": \"evt_1\", "); }, "JSON"},
        Malformed{"NotAnObject", [] { return std::string("[1,2,3]"); }, "object"},
        Malformed{"MissingId", [] { return Mutate([](json& j) { j.erase("id"); }); }, "event.id"},
        Malformed{"MissingType", [] { return Mutate([](json& j) { j.erase("type"); }); },
                  "event.type"},
        Malformed{"MissingCreated", [] { return Mutate([](json& j) { j.erase("created"); }); },
                  "event.created"},
        Malformed{"MissingObject",
                  [] { return Mutate([](json& j) { j["data"].erase("object"); }); }, "data.object"},
        Malformed{"MissingAmount",
                  [] {
                    return Mutate([](json& j) {
                      j["data"]["object"].erase("amount");
                      j["data"]["object"].erase("amount_received");
                    });
                  },
                  "data.object.amount"},
        Malformed{
            "NegativeAmount",
            [] { return Mutate([](json& j) { j["data"]["object"]["amount_received"] = -5; }); },
            "negative"},
        Malformed{
            "FractionalAmount",
            [] { return Mutate([](json& j) { j["data"]["object"]["amount_received"] = 10.5; }); },
            "data.object.amount_received"},
        Malformed{"AbsurdAmount",
                  [] {
                    return Mutate([](json& j) {
                      j["data"]["object"]["amount_received"] = 9000000000000000000ULL;
                    });
                  },
                  "exceeds"},
        Malformed{"UnknownCurrency",
                  [] { return Mutate([](json& j) { j["data"]["object"]["currency"] = "zzz"; }); },
                  "data.object.currency"},
        Malformed{"RefundAboveCharge",
                  [] { return testing::ChargeRefunded("evt_r", "pi_r", 1000, 1001, "eur"); },
                  "amount_refunded"},
        Malformed{"PledgeWithoutItems",
                  [] {
                    json j = json::parse(testing::SubscriptionEvent(
                        "customer.subscription.created", "evt_s", "sub_s", 500, "eur", "month"));
                    j["data"]["object"]["items"]["data"] = json::array();
                    return j.dump();
                  },
                  "items.data"}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace freehold::donations
