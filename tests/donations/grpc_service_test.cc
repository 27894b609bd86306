// freehold.v1.Donations served in-process on a loopback port, over a real PostgreSQL.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
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
    ASSERT_OK_AND_ASSIGN(SigningKey accounts_key, GenerateSigningKey("accounts-test"));
    accounts_ = std::make_unique<TokenSigner>(accounts_key);
    admin_ =
        std::make_unique<AdminAuthorizer>(std::vector<PublicKey>{accounts_->public_key()}, clock_);
    service_ =
        std::make_unique<DonationsGrpcService>(*intake_, *report_, *campaigns_, *portal_, *admin_,
                                               Logger("donations-test-audit", LogLevel::kError));
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

  // A context carrying `authorization` (none if empty), with a deadline.
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& authorization = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!authorization.empty()) ctx->AddMetadata("authorization", authorization);
    return ctx;
  }
  std::string AdminBearer() {
    AccessTokenSpec spec;
    spec.scopes = {"accounts", "storage", "donations:admin"};
    return "Bearer " + AccessToken(*accounts_, clock_.Now(), spec);
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

  std::unique_ptr<TokenSigner> accounts_;  // stands in for freehold-accounts' signing key
  std::unique_ptr<AdminAuthorizer> admin_;
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

TEST_F(DonationsGrpcTest, OversizedIdentifiersAreRefusedQuicklyWithAShortMessage) {
  const std::string huge(10 << 20, 'c');
  {
    v1::GetCampaignRequest get;
    get.set_campaign_id(huge);
    v1::GetCampaignResponse got;
    grpc::ClientContext ctx;
    const absl::Time start = absl::Now();
    grpc::Status s = stub_->GetCampaign(&ctx, get, &got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message().substr(0, 200);
    EXPECT_LE(s.error_message().size(), 256u);
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  {
    v1::IngestEventResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status s = Ingest("{}", "t=1,v1=00", &resp, huge);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                s.error_code() == grpc::StatusCode::NOT_FOUND)
        << s.error_message().substr(0, 200);
    EXPECT_LE(s.error_message().size(), 256u);
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
}

TEST_F(DonationsGrpcTest, SetExchangeRatesValidatesEachRow) {
  v1::SetExchangeRatesRequest req;
  auto* r = req.add_rates();
  r->set_currency("USD");
  r->set_rate_to_base("0.92");
  r->mutable_effective_from()->set_seconds(kNow - 100);
  v1::SetExchangeRatesResponse resp;
  {
    ASSERT_TRUE(stub_->SetExchangeRates(Ctx(AdminBearer()).get(), req, &resp).ok());
    EXPECT_EQ(resp.stored(), 1u);
  }
  r->set_rate_to_base("-1");
  {
    grpc::Status s = stub_->SetExchangeRates(Ctx(AdminBearer()).get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("rates[0].rate_to_base"));
  }
  r->set_rate_to_base("1.1");
  r->set_currency("EUR");
  {
    grpc::Status s = stub_->SetExchangeRates(Ctx(AdminBearer()).get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("base currency"));
  }
  r->set_currency("USD");
  r->clear_effective_from();
  {
    grpc::Status s = stub_->SetExchangeRates(Ctx(AdminBearer()).get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("effective_from"));
  }
}

TEST_F(DonationsGrpcTest, CampaignsSummaryReceiptAndExportOverTheWire) {
  v1::CreateCampaignRequest create;
  create.set_title("Spring drive");
  create.set_goal_base_minor(10000);
  v1::CreateCampaignResponse created;
  ASSERT_TRUE(stub_->CreateCampaign(Ctx(AdminBearer()).get(), create, &created).ok());
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
  auto export_ctx = Ctx(AdminBearer());
  auto reader = stub_->ExportLedger(export_ctx.get(), export_req);
  v1::ExportLedgerChunk chunk;
  std::string csv;
  while (reader->Read(&chunk)) csv += chunk.csv();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(absl::StartsWith(csv, "entry_id,at,kind"));
  EXPECT_THAT(csv, ::testing::HasSubstr(",one_off,2500,EUR,1,2500,EUR," + campaign_id));
  EXPECT_THAT(csv, ::testing::Not(::testing::HasSubstr("cus_w")));

  v1::ExportLedgerRequest no_range;
  auto bad_ctx = Ctx(AdminBearer());
  auto bad = stub_->ExportLedger(bad_ctx.get(), no_range);
  while (bad->Read(&chunk)) {
  }
  EXPECT_EQ(bad->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::EraseDonorRequest erase;
  erase.set_donor_token(ingested.donor_token());
  v1::EraseDonorResponse erased;
  grpc::ClientContext erase_ctx;
  EXPECT_TRUE(stub_->EraseDonor(&erase_ctx, erase, &erased).ok());
}

// Calls each operator RPC with `authorization` (valid requests) and returns the codes.
std::map<std::string, grpc::StatusCode> CallOperatorRpcs(
    v1::Donations::Stub& stub, const std::function<std::unique_ptr<grpc::ClientContext>()>& ctx) {
  std::map<std::string, grpc::StatusCode> codes;
  {
    v1::SetExchangeRatesRequest req;
    auto* r = req.add_rates();
    r->set_currency("USD");
    r->set_rate_to_base("0.92");
    r->mutable_effective_from()->set_seconds(kNow - 100);
    v1::SetExchangeRatesResponse resp;
    codes["SetExchangeRates"] = stub.SetExchangeRates(ctx().get(), req, &resp).error_code();
  }
  {
    v1::CreateCampaignRequest req;
    req.set_title("Disks");
    req.set_goal_base_minor(100);
    v1::CreateCampaignResponse resp;
    codes["CreateCampaign"] = stub.CreateCampaign(ctx().get(), req, &resp).error_code();
  }
  {
    v1::ListPledgesRequest req;
    v1::ListPledgesResponse resp;
    codes["ListPledges"] = stub.ListPledges(ctx().get(), req, &resp).error_code();
  }
  {
    v1::ExportLedgerRequest req;
    req.mutable_range()->mutable_start()->set_seconds(kNow - 10);
    req.mutable_range()->mutable_end()->set_seconds(kNow + 10);
    auto c = ctx();
    auto reader = stub.ExportLedger(c.get(), req);
    v1::ExportLedgerChunk chunk;
    while (reader->Read(&chunk)) {
    }
    codes["ExportLedger"] = reader->Finish().error_code();
  }
  {
    v1::EraseDonorRequest req;
    req.set_provider("stripe");
    req.set_customer_ref("cus_operator");
    v1::EraseDonorResponse resp;
    codes["EraseDonor"] = stub.EraseDonor(ctx().get(), req, &resp).error_code();
  }
  return codes;
}

TEST_F(DonationsGrpcTest, OperatorCallsNeedAnAccountsTokenWithTheAdminScope) {
  // A donor for the operator erasure to find.
  const std::string body = PaymentIntentSucceeded(
      {.event_id = "evt_op", .payment_intent = "pi_op", .amount = 100, .customer = "cus_operator"});
  v1::IngestEventResponse ingested;
  ASSERT_TRUE(Ingest(body, SignPayload(kSecret, kNow, body), &ingested).ok());

  auto all_are = [](const std::map<std::string, grpc::StatusCode>& codes, grpc::StatusCode want) {
    EXPECT_EQ(codes.size(), 5u);
    for (const auto& [rpc, code] : codes) EXPECT_EQ(code, want) << rpc;
  };
  const auto none = [&] { return Ctx(); };
  all_are(CallOperatorRpcs(*stub_, none), grpc::StatusCode::UNAUTHENTICATED);
  const auto basic = [&] { return Ctx("Basic b3BlcmF0b3I6c2VjcmV0"); };
  all_are(CallOperatorRpcs(*stub_, basic), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_OK_AND_ASSIGN(SigningKey other_key, GenerateSigningKey("accounts-test"));
  TokenSigner forger(other_key);
  AccessTokenSpec admin_spec;
  admin_spec.scopes = {"donations:admin"};
  const auto forged = [&] {
    return Ctx("Bearer " + AccessToken(forger, clock_.Now(), admin_spec));
  };
  all_are(CallOperatorRpcs(*stub_, forged), grpc::StatusCode::UNAUTHENTICATED);
  const auto expired = [&] {
    return Ctx("Bearer " + AccessToken(*accounts_, clock_.Now() - absl::Hours(1), admin_spec));
  };
  all_are(CallOperatorRpcs(*stub_, expired), grpc::StatusCode::UNAUTHENTICATED);
  // A user's ordinary token (scopes "accounts storage") is authentic but not enough.
  const auto user = [&] { return Ctx("Bearer " + AccessToken(*accounts_, clock_.Now(), {})); };
  all_are(CallOperatorRpcs(*stub_, user), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.campaigns"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.exchange_rates"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal"), 1);

  const auto admin = [&] { return Ctx(AdminBearer()); };
  all_are(CallOperatorRpcs(*stub_, admin), grpc::StatusCode::OK);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.campaigns"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.exchange_rates"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal"), 0);
}

TEST_F(DonationsGrpcTest, WithoutAccountsKeysOperatorCallsAreRefusedAndPublicOnesServed) {
  AdminAuthorizer off(clock_);
  DonationsGrpcService service(*intake_, *report_, *campaigns_, *portal_, off,
                               Logger("donations-test-audit", LogLevel::kError));
  GrpcServerOptions options;
  options.listen_address = "127.0.0.1:0";
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(options, {&service}));
  ASSERT_OK_AND_ASSIGN(auto channel, MakeChannel(server->address()));
  auto stub = v1::Donations::NewStub(channel);

  for (const auto& [rpc, code] : CallOperatorRpcs(*stub, [&] { return Ctx(AdminBearer()); })) {
    EXPECT_EQ(code, grpc::StatusCode::FAILED_PRECONDITION) << rpc;
  }
  v1::CreateCampaignRequest create;
  create.set_title("Disks");
  create.set_goal_base_minor(100);
  v1::CreateCampaignResponse created;
  grpc::Status refused = stub->CreateCampaign(Ctx().get(), create, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("--accounts-keys"));

  // Public calls need no token at all.
  const std::string body = PaymentIntentSucceeded(
      {.event_id = "evt_pub", .payment_intent = "pi_pub", .amount = 300, .customer = "cus_pub"});
  v1::IngestEventRequest ingest;
  ingest.set_provider("stripe");
  auto* h = ingest.add_headers();
  h->set_name("Stripe-Signature");
  h->set_value(SignPayload(kSecret, kNow, body));
  ingest.set_raw_body(body);
  v1::IngestEventResponse ingested;
  ASSERT_TRUE(stub->IngestEvent(Ctx().get(), ingest, &ingested).ok());
  v1::GetFundingSummaryResponse summary;
  ASSERT_TRUE(stub->GetFundingSummary(Ctx().get(), {}, &summary).ok());
  EXPECT_EQ(summary.balance_base_minor(), 300);
  v1::ListCampaignsResponse listed;
  EXPECT_TRUE(stub->ListCampaigns(Ctx().get(), {}, &listed).ok());
  v1::GetCampaignRequest get;
  get.set_campaign_id("00000000-0000-4000-8000-000000000000");
  v1::GetCampaignResponse got;
  EXPECT_EQ(stub->GetCampaign(Ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListMyDonationsRequest mine_req;
  mine_req.set_donor_token(ingested.donor_token());
  v1::ListMyDonationsResponse mine;
  ASSERT_TRUE(stub->ListMyDonations(Ctx().get(), mine_req, &mine).ok());
  ASSERT_EQ(mine.entries_size(), 1);
  v1::GetReceiptRequest receipt_req;
  receipt_req.set_donor_token(ingested.donor_token());
  receipt_req.set_entry_id(mine.entries(0).entry_id());
  v1::GetReceiptResponse receipt;
  EXPECT_TRUE(stub->GetReceipt(Ctx().get(), receipt_req, &receipt).ok());
  v1::EraseDonorRequest erase;
  erase.set_donor_token(ingested.donor_token());
  v1::EraseDonorResponse erased;
  ASSERT_TRUE(stub->EraseDonor(Ctx().get(), erase, &erased).ok());
  EXPECT_EQ(erased.erased(), 1u);
  server->Shutdown(absl::Seconds(1));
}

TEST_F(DonationsGrpcTest, OperatorErasesADonorByCustomerOrEmail) {
  for (const auto& [event, customer, email] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"evt_e1", "cus_e1", "one@example.org"},
           {"evt_e2", "", "Two@Example.org"},
           {"evt_e3", "", "two@example.org"},
           {"evt_e4", "cus_e4", "four@example.org"}}) {
    const std::string body = PaymentIntentSucceeded({.event_id = event,
                                                     .payment_intent = "pi_" + event,
                                                     .amount = 100,
                                                     .customer = customer,
                                                     .receipt_email = email});
    v1::IngestEventResponse r;
    ASSERT_TRUE(Ingest(body, SignPayload(kSecret, kNow, body), &r).ok());
  }
  const int64_t donors = QueryInt("SELECT count(*) FROM donations.donor_personal");
  ASSERT_EQ(donors, 4);

  v1::EraseDonorRequest req;
  v1::EraseDonorResponse resp;
  req.set_provider("stripe");
  req.set_customer_ref("cus_e1");
  ASSERT_TRUE(stub_->EraseDonor(Ctx(AdminBearer()).get(), req, &resp).ok());
  EXPECT_EQ(resp.erased(), 1u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal WHERE customer_ref = 'cus_e1'"),
            0);
  // Again: nothing is held any more.
  grpc::Status again = stub_->EraseDonor(Ctx(AdminBearer()).get(), req, &resp);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(again.error_message(), ::testing::HasSubstr("customer_ref"));

  req.clear_customer_ref();
  req.set_email("TWO@example.org");
  ASSERT_TRUE(stub_->EraseDonor(Ctx(AdminBearer()).get(), req, &resp).ok());
  EXPECT_EQ(resp.erased(), 2u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal"), 1);
  // The ledger is untouched.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 4);

  struct Bad {
    std::string provider, customer, email, token;
  };
  for (const Bad& bad : std::vector<Bad>{{"", "cus_e4", "", ""},
                                         {"stripe", "", "", ""},
                                         {"stripe", "cus_e4", "four@example.org", ""},
                                         {"stripe", "cus_e4", "", "fhd_x"}}) {
    v1::EraseDonorRequest b;
    b.set_provider(bad.provider);
    b.set_customer_ref(bad.customer);
    b.set_email(bad.email);
    b.set_donor_token(bad.token);
    EXPECT_EQ(stub_->EraseDonor(Ctx(AdminBearer()).get(), b, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << bad.provider << "/" << bad.customer << "/" << bad.email << "/" << bad.token;
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal"), 1);
}

}  // namespace
}  // namespace freehold::donations::testing
