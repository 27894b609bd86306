// The donor portal's calls of freehold.v1.Donations (CreateDonationIntent,
// ListMyPledges, CancelMyPledge) served in-process on a loopback port over a real
// PostgreSQL: answers and precise statuses on the wire.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/grpc_server.h"
#include "freehold/v1/donations.grpc.pb.h"
#include "services/donations/core/donor_token.h"
#include "services/donations/grpc/donations_grpc_service.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

namespace v1 = freehold::v1;

class DonorPortalGrpcTest : public DonationsPgTest {
 protected:
  void SetUp() override {
    DonationsPgTest::SetUp();
    if (HasFatalFailure()) return;
    admin_ = std::make_unique<AdminAuthorizer>(clock_);
    intent_store_ = std::make_unique<PgIntentStore>(*pool_, projection_.get());
    intents_ = std::make_unique<DonationIntents>(*intent_store_, *queries_, clock_);
    service_ = std::make_unique<DonationsGrpcService>(
        *intake_, *report_, *campaigns_, *portal_, *admin_,
        Logger("donations-test-audit", LogLevel::kError), intents_.get());
    GrpcServerOptions options;
    options.listen_address = "127.0.0.1:0";
    ASSERT_OK_AND_ASSIGN(server_, GrpcServer::Start(options, {service_.get()}));
    ASSERT_OK_AND_ASSIGN(auto channel, MakeChannel(server_->address()));
    stub_ = v1::Donations::NewStub(channel);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    server_.reset();
    service_.reset();
    intents_.reset();
    intent_store_.reset();
    DonationsPgTest::TearDown();
  }
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  static v1::CreateDonationIntentRequest Intent(int64_t amount, const std::string& currency,
                                                v1::DonationFrequency frequency) {
    v1::CreateDonationIntentRequest req;
    req.mutable_amount()->set_amount_minor(amount);
    req.mutable_amount()->set_currency(currency);
    req.set_frequency(frequency);
    return req;
  }

  std::unique_ptr<AdminAuthorizer> admin_;
  std::unique_ptr<PgIntentStore> intent_store_;
  std::unique_ptr<DonationIntents> intents_;
  std::unique_ptr<DonationsGrpcService> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::Donations::Stub> stub_;
};

TEST_F(DonorPortalGrpcTest, AnIntentLinksTheDonationAndItsPledgeToTheDonorsToken) {
  v1::CreateDonationIntentRequest req = Intent(1200, "eur", v1::DONATION_FREQUENCY_MONTHLY);
  req.mutable_contact()->set_name("Grace");
  req.mutable_contact()->set_email("grace@example.org");
  v1::CreateDonationIntentResponse intent;
  ASSERT_TRUE(stub_->CreateDonationIntent(Ctx().get(), req, &intent).ok());
  EXPECT_TRUE(LooksLikeDonorRef(intent.donor_reference()));
  EXPECT_TRUE(LooksLikeDonorToken(intent.donor_token()));
  EXPECT_EQ(intent.stripe_metadata().at("donor_ref"), intent.donor_reference());
  EXPECT_EQ(intent.created_at().seconds(), kNow);

  // Stripe: the subscription and its first invoice carry the metadata.
  nlohmann::json sub = nlohmann::json::parse(
      SubscriptionEvent("customer.subscription.created", "evt_gs", "sub_g", 1200, "eur", "month"));
  sub["data"]["object"]["metadata"]["donor_ref"] = intent.donor_reference();
  ASSERT_OK(Deliver(sub.dump()));
  nlohmann::json invoice = nlohmann::json::parse(InvoicePaid({.event_id = "evt_gi",
                                                              .invoice_id = "in_g",
                                                              .payment_intent = "pi_g",
                                                              .subscription = "sub_g",
                                                              .amount_paid = 1200,
                                                              .customer = "cus_g"}));
  invoice["data"]["object"]["subscription_details"]["metadata"]["donor_ref"] =
      intent.donor_reference();
  ASSERT_OK(Deliver(invoice.dump()));

  v1::ListMyDonationsRequest list;
  list.set_donor_token(intent.donor_token());
  v1::ListMyDonationsResponse donations;
  ASSERT_TRUE(stub_->ListMyDonations(Ctx().get(), list, &donations).ok());
  ASSERT_EQ(donations.entries_size(), 1);
  EXPECT_EQ(donations.entries(0).kind(), v1::LEDGER_ENTRY_KIND_RECURRING);

  v1::ListMyPledgesRequest pledges_req;
  pledges_req.set_donor_token(intent.donor_token());
  v1::ListMyPledgesResponse pledges;
  ASSERT_TRUE(stub_->ListMyPledges(Ctx().get(), pledges_req, &pledges).ok());
  ASSERT_EQ(pledges.pledges_size(), 1);
  EXPECT_EQ(pledges.pledges(0).pledge_id(), "sub_g");
  EXPECT_EQ(pledges.pledges(0).amount().amount_minor(), 1200);
  EXPECT_TRUE(pledges.pledges(0).active());

  v1::CancelMyPledgeRequest cancel;
  cancel.set_donor_token(intent.donor_token());
  cancel.set_pledge_id("sub_g");
  v1::CancelMyPledgeResponse cancelled;
  ASSERT_TRUE(stub_->CancelMyPledge(Ctx().get(), cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.provider(), "stripe");
  EXPECT_EQ(cancelled.cancel_subscription(), "sub_g");
  EXPECT_FALSE(cancelled.already_cancelled());
  EXPECT_EQ(cancelled.requested_at().seconds(), kNow);
}

TEST_F(DonorPortalGrpcTest, BadRequestsGetPreciseStatusesWithoutEchoingInput) {
  struct Case {
    v1::CreateDonationIntentRequest req;
    grpc::StatusCode code;
    std::string field;
  };
  v1::CreateDonationIntentRequest no_amount;
  no_amount.set_frequency(v1::DONATION_FREQUENCY_ONE_OFF);
  v1::CreateDonationIntentRequest long_email = Intent(100, "EUR", v1::DONATION_FREQUENCY_ONE_OFF);
  long_email.mutable_contact()->set_email(std::string(100000, 'x') + "@example.org");
  v1::CreateDonationIntentRequest unknown_campaign =
      Intent(100, "EUR", v1::DONATION_FREQUENCY_ONE_OFF);
  unknown_campaign.set_campaign_id("00000000-0000-4000-8000-000000000000");
  const std::vector<Case> cases = {
      {no_amount, grpc::StatusCode::INVALID_ARGUMENT, "amount"},
      {Intent(100, "EUR", v1::DONATION_FREQUENCY_UNSPECIFIED), grpc::StatusCode::INVALID_ARGUMENT,
       "frequency"},
      {Intent(0, "EUR", v1::DONATION_FREQUENCY_ONE_OFF), grpc::StatusCode::INVALID_ARGUMENT,
       "amount.amount_minor"},
      {Intent(100, std::string(5000, 'Z'), v1::DONATION_FREQUENCY_ONE_OFF),
       grpc::StatusCode::INVALID_ARGUMENT, "amount.currency"},
      {long_email, grpc::StatusCode::INVALID_ARGUMENT, "contact.email"},
      {unknown_campaign, grpc::StatusCode::NOT_FOUND, "campaign_id"},
  };
  for (const Case& c : cases) {
    v1::CreateDonationIntentResponse resp;
    grpc::Status s = stub_->CreateDonationIntent(Ctx().get(), c.req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << c.field << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(c.field), std::string::npos) << s.error_message();
    EXPECT_LT(s.error_message().size(), 200u) << c.field;
  }

  v1::ListMyPledgesRequest list;
  v1::ListMyPledgesResponse pledges;
  EXPECT_EQ(stub_->ListMyPledges(Ctx().get(), list, &pledges).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  list.set_donor_token("fhd_" + std::string(43, 'A'));
  EXPECT_EQ(stub_->ListMyPledges(Ctx().get(), list, &pledges).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::CreateDonationIntentResponse intent;
  ASSERT_TRUE(stub_
                  ->CreateDonationIntent(
                      Ctx().get(), Intent(100, "EUR", v1::DONATION_FREQUENCY_ONE_OFF), &intent)
                  .ok());
  v1::CancelMyPledgeRequest cancel;
  cancel.set_donor_token(intent.donor_token());
  cancel.set_pledge_id("sub_nobody");
  v1::CancelMyPledgeResponse cancelled;
  EXPECT_EQ(stub_->CancelMyPledge(Ctx().get(), cancel, &cancelled).error_code(),
            grpc::StatusCode::NOT_FOUND);
  cancel.set_pledge_id(std::string(100000, 's'));
  grpc::Status s = stub_->CancelMyPledge(Ctx().get(), cancel, &cancelled);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(s.error_message().size(), 200u);
}

TEST_F(DonorPortalGrpcTest, AServerWithoutIntentsSaysSo) {
  DonationsGrpcService bare(*intake_, *report_, *campaigns_, *portal_, *admin_,
                            Logger("donations-test-audit", LogLevel::kError));
  grpc::ServerContext ctx;
  v1::CreateDonationIntentRequest req = Intent(100, "EUR", v1::DONATION_FREQUENCY_ONE_OFF);
  v1::CreateDonationIntentResponse resp;
  EXPECT_EQ(bare.CreateDonationIntent(&ctx, &req, &resp).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace freehold::donations::testing
