// freehold.v1.Donations served in-process on a loopback port, over a real PostgreSQL.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "common/grpc_server.h"
#include "freehold/v1/donations.grpc.pb.h"
#include "services/donations/core/webhook_signature.h"
#include "services/donations/grpc/donations_grpc_service.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

namespace v1 = freehold::v1;

class DonationsGrpcTest : public DonationsPgTest {
 protected:
  void SetUp() override {
    DonationsPgTest::SetUp();
    if (HasFatalFailure()) return;
    service_ = std::make_unique<DonationsGrpcService>(*intake_, *report_, *campaigns_, *portal_);
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
    DonationsPgTest::TearDown();
  }

  grpc::Status Ingest(const std::string& body, const std::string& signature,
                      v1::IngestEventResponse* resp, const std::string& provider = "stripe") {
    v1::IngestEventRequest req;
    req.set_provider(provider);
    auto* h = req.add_headers();
    h->set_name("stripe-signature");
    h->set_value(signature);
    req.set_raw_body(body);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->IngestEvent(&ctx, req, resp);
  }

  std::unique_ptr<DonationsGrpcService> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::Donations::Stub> stub_;
};

TEST_F(DonationsGrpcTest, IngestEventAnswersWithPreciseStatuses) {
  const std::string body = PaymentIntentSucceeded(
      {.event_id = "evt_g", .payment_intent = "pi_g", .amount = 700, .customer = "cus_g"});
  v1::IngestEventResponse resp;
  ASSERT_TRUE(Ingest(body, SignPayload(kSecret, kNow, body), &resp).ok());
  EXPECT_EQ(resp.result(), v1::INGEST_RESULT_RECORDED);
  EXPECT_EQ(resp.event_id(), "evt_g");
  EXPECT_FALSE(resp.donor_token().empty());
  ASSERT_TRUE(Ingest(body, SignPayload(kSecret, kNow, body), &resp).ok());
  EXPECT_EQ(resp.result(), v1::INGEST_RESULT_DUPLICATE);

  EXPECT_EQ(Ingest(body, SignPayload("whsec_wrong", kNow, body), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Ingest(body, SignPayload(kSecret, kNow - 3600, body), &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  grpc::Status malformed = Ingest("[]", SignPayload(kSecret, kNow, "[]"), &resp);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Ingest(body, SignPayload(kSecret, kNow, body), &resp, "").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Ingest(body, SignPayload(kSecret, kNow, body), &resp, "bitcoin").error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DonationsGrpcTest, SetExchangeRatesValidatesEachRow) {
  v1::SetExchangeRatesRequest req;
  auto* r = req.add_rates();
  r->set_currency("USD");
  r->set_rate_to_base("0.92");
  r->mutable_effective_from()->set_seconds(kNow - 100);
  v1::SetExchangeRatesResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->SetExchangeRates(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.stored(), 1u);
  }
  r->set_rate_to_base("-1");
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->SetExchangeRates(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("rates[0].rate_to_base"));
  }
  r->set_rate_to_base("1.1");
  r->set_currency("EUR");
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->SetExchangeRates(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("base currency"));
  }
  r->set_currency("USD");
  r->clear_effective_from();
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->SetExchangeRates(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("effective_from"));
  }
}

TEST_F(DonationsGrpcTest, CampaignsSummaryReceiptAndExportOverTheWire) {
  v1::CreateCampaignRequest create;
  create.set_title("Spring drive");
  create.set_goal_base_minor(10000);
  v1::CreateCampaignResponse created;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->CreateCampaign(&ctx, create, &created).ok());
  }
  const std::string campaign_id = created.campaign().campaign_id();
  const std::string body = PaymentIntentSucceeded({.event_id = "evt_w",
                                                   .payment_intent = "pi_w",
                                                   .amount = 2500,
                                                   .metadata = {{"campaign_id", campaign_id}},
                                                   .customer = "cus_w"});
  v1::IngestEventResponse ingested;
  ASSERT_TRUE(Ingest(body, SignPayload(kSecret, kNow, body), &ingested).ok());

  v1::GetCampaignRequest get;
  get.set_campaign_id(campaign_id);
  v1::GetCampaignResponse got;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetCampaign(&ctx, get, &got).ok());
  }
  EXPECT_EQ(got.campaign().raised_base_minor(), 2500);
  EXPECT_DOUBLE_EQ(got.campaign().progress(), 0.25);
  EXPECT_EQ(got.campaign().donations(), 1u);

  v1::ListCampaignsRequest list;
  list.set_live_only(true);
  list.mutable_page()->set_page_token("not-a-number");
  v1::ListCampaignsResponse listed;
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(stub_->ListCampaigns(&ctx, list, &listed).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  v1::GetFundingSummaryResponse summary;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetFundingSummary(&ctx, {}, &summary).ok());
  }
  EXPECT_EQ(summary.base_currency(), "EUR");
  EXPECT_EQ(summary.balance_base_minor(), 2500);
  EXPECT_EQ(summary.donor_count(), 1u);

  v1::ListMyDonationsRequest mine_req;
  mine_req.set_donor_token(ingested.donor_token());
  v1::ListMyDonationsResponse mine;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ListMyDonations(&ctx, mine_req, &mine).ok());
  }
  ASSERT_EQ(mine.entries_size(), 1);
  EXPECT_EQ(mine.entries(0).kind(), v1::LEDGER_ENTRY_KIND_ONE_OFF);
  EXPECT_EQ(mine.entries(0).base_amount().currency(), "EUR");
  EXPECT_EQ(mine.entries(0).campaign_id(), campaign_id);

  v1::GetReceiptRequest receipt_req;
  receipt_req.set_donor_token(ingested.donor_token());
  receipt_req.set_entry_id(mine.entries(0).entry_id());
  v1::GetReceiptResponse receipt;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetReceipt(&ctx, receipt_req, &receipt).ok());
  }
  TokenVerifier verifier({signer_->public_key()});
  ASSERT_OK_AND_ASSIGN(std::string text, verifier.Verify(receipt.signature(), kReceiptContext));
  EXPECT_EQ(text, receipt.receipt_text());

  v1::ExportLedgerRequest export_req;
  export_req.mutable_range()->mutable_start()->set_seconds(kNow - 10);
  export_req.mutable_range()->mutable_end()->set_seconds(kNow + 10);
  grpc::ClientContext export_ctx;
  auto reader = stub_->ExportLedger(&export_ctx, export_req);
  v1::ExportLedgerChunk chunk;
  std::string csv;
  while (reader->Read(&chunk)) csv += chunk.csv();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(absl::StartsWith(csv, "entry_id,at,kind"));
  EXPECT_THAT(csv, ::testing::HasSubstr(",one_off,2500,EUR,1,2500,EUR," + campaign_id));
  EXPECT_THAT(csv, ::testing::Not(::testing::HasSubstr("cus_w")));

  v1::ExportLedgerRequest no_range;
  grpc::ClientContext bad_ctx;
  auto bad = stub_->ExportLedger(&bad_ctx, no_range);
  while (bad->Read(&chunk)) {
  }
  EXPECT_EQ(bad->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::EraseDonorRequest erase;
  erase.set_donor_token(ingested.donor_token());
  v1::EraseDonorResponse erased;
  grpc::ClientContext erase_ctx;
  EXPECT_TRUE(stub_->EraseDonor(&erase_ctx, erase, &erased).ok());
}

}  // namespace
}  // namespace freehold::donations::testing
