// Claiming past donations by e-mail (RequestDonationClaim, ConfirmDonationClaim), the
// notification outbox (ListNotifications, AckNotifications) and the donor's erasure
// reaching the raw bodies kept in dead letters, review events and parked payments:
// served in-process on a loopback port over a real PostgreSQL.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>

#include "absl/strings/match.h"
#include "common/grpc_server.h"
#include "freehold/v1/donations.grpc.pb.h"
#include "services/donations/core/donation_claims.h"
#include "services/donations/grpc/donations_grpc_service.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

namespace v1 = freehold::v1;
using ::testing::HasSubstr;

class DonationClaimsGrpcTest : public DonationsPgTest {
 protected:
  void SetUp() override {
    DonationsPgTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(SigningKey accounts_key, GenerateSigningKey("accounts-test"));
    accounts_ = std::make_unique<TokenSigner>(accounts_key);
    admin_ =
        std::make_unique<AdminAuthorizer>(std::vector<PublicKey>{accounts_->public_key()}, clock_);
    intent_store_ = std::make_unique<PgIntentStore>(*pool_, projection_.get());
    intents_ = std::make_unique<DonationIntents>(*intent_store_, *queries_, clock_);
    claim_store_ = std::make_unique<PgClaimStore>(*pool_, projection_.get());
    claims_ = std::make_unique<DonationClaims>(*claim_store_, clock_);
    service_ = std::make_unique<DonationsGrpcService>(
        *intake_, *report_, *campaigns_, *portal_, *admin_,
        Logger("donations-test-audit", LogLevel::kError), intents_.get(), claims_.get());
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
    claims_.reset();
    claim_store_.reset();
    intents_.reset();
    intent_store_.reset();
    DonationsPgTest::TearDown();
  }
  std::unique_ptr<grpc::ClientContext> Ctx(bool admin = false) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (admin) {
      AccessTokenSpec spec;
      spec.scopes = {"accounts", "donations:admin"};
      ctx->AddMetadata("authorization", "Bearer " + AccessToken(*accounts_, clock_.Now(), spec));
    }
    return ctx;
  }
  // A new donor token from a donation intent (no contact).
  std::string NewDonorTokenFromIntent() {
    v1::CreateDonationIntentRequest req;
    req.mutable_amount()->set_amount_minor(500);
    req.mutable_amount()->set_currency("EUR");
    req.set_frequency(v1::DONATION_FREQUENCY_ONE_OFF);
    v1::CreateDonationIntentResponse intent;
    EXPECT_TRUE(stub_->CreateDonationIntent(Ctx().get(), req, &intent).ok());
    return intent.donor_token();
  }
  grpc::Status Request(const std::string& token, const std::string& email,
                       v1::RequestDonationClaimResponse* out) {
    v1::RequestDonationClaimRequest req;
    req.set_donor_token(token);
    req.set_email(email);
    return stub_->RequestDonationClaim(Ctx().get(), req, out);
  }
  grpc::Status Confirm(const std::string& token, const std::string& claim_id,
                       const std::string& code, v1::ConfirmDonationClaimResponse* out) {
    v1::ConfirmDonationClaimRequest req;
    req.set_donor_token(token);
    req.set_claim_id(claim_id);
    req.set_code(code);
    return stub_->ConfirmDonationClaim(Ctx().get(), req, out);
  }
  std::vector<v1::Notification> Outbox() {
    v1::ListNotificationsResponse resp;
    EXPECT_TRUE(stub_->ListNotifications(Ctx(true).get(), {}, &resp).ok());
    return {resp.notifications().begin(), resp.notifications().end()};
  }
  static std::string CodeIn(const std::string& body) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(body, m, std::regex("The code is ([0-9]{8})"))) << body;
    return m.size() > 1 ? m[1].str() : "";
  }
  // A past payment reported by Stripe with this e-mail (no donor token).
  void PastPayment(const std::string& id, int64_t amount, const std::string& customer,
                   const std::string& email, const std::string& name = "") {
    std::map<std::string, std::string> metadata;
    if (!name.empty()) metadata["donor_name"] = name;
    ASSERT_OK(Deliver(PaymentIntentSucceeded({.event_id = "evt_" + id,
                                              .payment_intent = "pi_" + id,
                                              .amount = amount,
                                              .metadata = metadata,
                                              .customer = customer,
                                              .receipt_email = email})));
  }

  std::unique_ptr<TokenSigner> accounts_;
  std::unique_ptr<AdminAuthorizer> admin_;
  std::unique_ptr<PgIntentStore> intent_store_;
  std::unique_ptr<DonationIntents> intents_;
  std::unique_ptr<PgClaimStore> claim_store_;
  std::unique_ptr<DonationClaims> claims_;
  std::unique_ptr<DonationsGrpcService> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::Donations::Stub> stub_;
};

TEST_F(DonationClaimsGrpcTest, ADonorClaimsPastDonationsWithTheCodeFromTheOutbox) {
  PastPayment("a1", 1500, "cus_ada", "Ada@Example.org");
  PastPayment("a2", 2500, "cus_ada", "Ada@Example.org");
  PastPayment("b1", 9900, "cus_bob", "bob@example.org");
  const std::string token = NewDonorTokenFromIntent();

  v1::ListMyDonationsRequest list;
  list.set_donor_token(token);
  v1::ListMyDonationsResponse before;
  ASSERT_TRUE(stub_->ListMyDonations(Ctx().get(), list, &before).ok());
  EXPECT_EQ(before.entries_size(), 0);

  v1::RequestDonationClaimResponse claim;
  ASSERT_TRUE(Request(token, "ada@example.ORG", &claim).ok());
  EXPECT_EQ(claim.expires_at().seconds(), kNow + 15 * 60);
  std::vector<v1::Notification> mail = Outbox();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].kind(), "donation_claim_code");
  EXPECT_EQ(mail[0].recipient(), "ada@example.ORG");
  const std::string code = CodeIn(mail[0].body());
  // Only a hash of the code is kept with the claim.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.email_claims WHERE position(convert_to('" +
                     code + "', 'UTF8') in code_hash) > 0 OR email LIKE '%" + code + "%'"),
            0);
  EXPECT_EQ(QueryInt("SELECT length(code_hash) FROM donations.email_claims"), 32);

  v1::ConfirmDonationClaimResponse confirmed;
  std::string wrong = code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  grpc::Status bad = Confirm(token, claim.claim_id(), wrong, &confirmed);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(bad.error_message(), HasSubstr("4 attempts left"));
  grpc::Status ok = Confirm(token, claim.claim_id(), code, &confirmed);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(confirmed.linked_donors(), 1u);
  EXPECT_EQ(confirmed.linked_payments(), 2u);

  v1::ListMyDonationsResponse after;
  ASSERT_TRUE(stub_->ListMyDonations(Ctx().get(), list, &after).ok());
  ASSERT_EQ(after.entries_size(), 2);
  int64_t total = 0;
  for (const v1::LedgerEntry& e : after.entries()) total += e.amount().amount_minor();
  EXPECT_EQ(total, 4000);  // not bob's
  v1::GetReceiptRequest receipt_req;
  receipt_req.set_donor_token(token);
  receipt_req.set_entry_id(after.entries(0).entry_id());
  v1::GetReceiptResponse receipt;
  EXPECT_TRUE(stub_->GetReceipt(Ctx().get(), receipt_req, &receipt).ok());

  // Used once.
  EXPECT_EQ(Confirm(token, claim.claim_id(), code, &confirmed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The mailer acknowledges: the message (with its address) is gone.
  v1::AckNotificationsRequest ack;
  ack.add_ids(mail[0].id());
  v1::AckNotificationsResponse acked;
  ASSERT_TRUE(stub_->AckNotifications(Ctx(true).get(), ack, &acked).ok());
  EXPECT_EQ(acked.deleted(), 1u);
  EXPECT_TRUE(Outbox().empty());
  ASSERT_TRUE(stub_->AckNotifications(Ctx(true).get(), ack, &acked).ok());
  EXPECT_EQ(acked.deleted(), 0u);
}

TEST_F(DonationClaimsGrpcTest, NothingIsMailedWhereThereIsNothingToClaimAndTheAnswerIsTheSame) {
  const std::string token = NewDonorTokenFromIntent();
  v1::RequestDonationClaimResponse claim;
  ASSERT_TRUE(Request(token, "nobody@example.org", &claim).ok());
  EXPECT_FALSE(claim.claim_id().empty());
  EXPECT_EQ(claim.expires_at().seconds(), kNow + 15 * 60);
  EXPECT_TRUE(Outbox().empty());
  v1::ConfirmDonationClaimResponse confirmed;
  EXPECT_EQ(Confirm(token, claim.claim_id(), "12345678", &confirmed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(DonationClaimsGrpcTest, CodesExpireAndWrongCodesAreLimited) {
  PastPayment("c1", 700, "cus_cy", "cy@example.org");
  const std::string token = NewDonorTokenFromIntent();
  v1::RequestDonationClaimResponse claim;
  ASSERT_TRUE(Request(token, "cy@example.org", &claim).ok());
  const std::string code = CodeIn(Outbox().at(0).body());
  const std::string wrong = code == "00000000" ? "00000001" : "00000000";
  v1::ConfirmDonationClaimResponse confirmed;
  for (int i = 0; i < kClaimMaxAttempts; ++i) {
    grpc::Status s = Confirm(token, claim.claim_id(), wrong, &confirmed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << i;
    if (i + 1 == kClaimMaxAttempts) {
      EXPECT_THAT(s.error_message(), HasSubstr("no attempts left"));
    }
  }
  grpc::Status locked = Confirm(token, claim.claim_id(), code, &confirmed);
  EXPECT_EQ(locked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(locked.error_message(), HasSubstr("too many wrong codes"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_claims"), 0);

  v1::RequestDonationClaimResponse second;
  ASSERT_TRUE(Request(token, "cy@example.org", &second).ok());
  std::vector<v1::Notification> mail = Outbox();
  ASSERT_EQ(mail.size(), 2u);
  const std::string second_code = CodeIn(mail[1].body());
  clock_.Advance(kClaimLifetime);
  grpc::Status expired = Confirm(token, second.claim_id(), second_code, &confirmed);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(expired.error_message(), HasSubstr("expired"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_claims"), 0);
}

TEST_F(DonationClaimsGrpcTest, BadRequestsAndLimitsGetPreciseStatuses) {
  PastPayment("d1", 700, "cus_di", "di@example.org");
  const std::string token = NewDonorTokenFromIntent();
  const std::string other = NewDonorTokenFromIntent();
  v1::RequestDonationClaimResponse claim;
  EXPECT_EQ(Request("", "di@example.org", &claim).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Request("fhd_" + std::string(43, 'A'), "di@example.org", &claim).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  for (const std::string& bad : {std::string(""), std::string("no-at-sign"),
                                 std::string("two@@example.org"), std::string("sp ace@x.org"),
                                 std::string(400, 'x') + "@example.org"}) {
    grpc::Status s = Request(token, bad, &claim);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("email"));
  }
  ASSERT_TRUE(Request(token, "di@example.org", &claim).ok());
  v1::ConfirmDonationClaimResponse confirmed;
  EXPECT_EQ(Confirm(token, "not-a-uuid", "12345678", &confirmed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Confirm(token, claim.claim_id(), "1234", &confirmed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Confirm(token, claim.claim_id(), "abcdefgh", &confirmed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Another donor's claim does not exist for this one.
  const std::string code = CodeIn(Outbox().at(0).body());
  EXPECT_EQ(Confirm(other, claim.claim_id(), code, &confirmed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // At most 3 codes per address per hour (any donor), 5 claims per donor.
  ASSERT_TRUE(Request(other, "di@example.org", &claim).ok());
  ASSERT_TRUE(Request(other, "DI@example.org", &claim).ok());
  grpc::Status limited = Request(other, "di@example.org", &claim);
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("email"));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Request(token, absl::StrCat("x", i, "@e.org"), &claim).ok());
  EXPECT_EQ(Request(token, "y@e.org", &claim).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock_.Advance(absl::Hours(1));
  grpc::Status later = Request(token, "y@e.org", &claim);
  EXPECT_TRUE(later.ok()) << later.error_message();

  // The outbox is for operators.
  v1::ListNotificationsResponse list;
  EXPECT_EQ(stub_->ListNotifications(Ctx().get(), {}, &list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::ListNotificationsRequest too_many;
  too_many.set_limit(501);
  EXPECT_EQ(stub_->ListNotifications(Ctx(true).get(), too_many, &list).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::AckNotificationsResponse acked;
  EXPECT_EQ(stub_->AckNotifications(Ctx(true).get(), {}, &acked).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// How many rows of any table of the schema hold `value` in any column (text columns
// compared case-insensitively, bytea columns byte for byte, as is and in lower case).
int64_t RowsHolding(const std::string& url, const std::string& value) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  int64_t found = 0;
  for (const pqxx::row& col : tx.exec(
           "SELECT table_name, column_name, data_type FROM information_schema.columns "
           "WHERE table_schema = 'donations' AND table_name IN (SELECT table_name FROM "
           "information_schema.tables WHERE table_schema = 'donations' AND table_type = "
           "'BASE TABLE')")) {
    const std::string table = col[0].as<std::string>();
    const std::string column = col[1].as<std::string>();
    const std::string type = col[2].as<std::string>();
    std::string where;
    if (type == "bytea") {
      where = absl::StrCat("position(convert_to(", tx.quote(value), ", 'UTF8') in \"", column,
                           "\") > 0 OR position(convert_to(lower(", tx.quote(value),
                           "), 'UTF8') in \"", column, "\") > 0");
    } else {
      where = absl::StrCat("\"", column, "\"::text ILIKE ", tx.quote("%" + value + "%"));
    }
    found += tx.exec1(absl::StrCat("SELECT count(*) FROM donations.\"", table, "\" WHERE ", where))[0]
                 .as<int64_t>();
  }
  return found;
}

TEST_F(DonationClaimsGrpcTest, ErasureLeavesTheEmailAndTheNameInNoTable) {
  const std::string email = "Zelda.Q@Example.org";
  const std::string name = "Zelda Quartermain";
  // A payment, a dead letter (malformed: no amount), an event kept for review, a
  // payment parked for want of a rate: each body names the donor.
  PastPayment("z1", 1200, "cus_zelda", email, name);
  nlohmann::json malformed = nlohmann::json::parse(PaymentIntentSucceeded(
      {.event_id = "evt_z2", .payment_intent = "pi_z2", .amount = 10, .customer = "cus_zelda",
       .receipt_email = email}));
  malformed["data"]["object"].erase("amount");
  malformed["data"]["object"].erase("amount_received");
  malformed["data"]["object"]["metadata"]["donor_name"] = name;
  EXPECT_FALSE(Deliver(malformed.dump()).ok());
  nlohmann::json review = nlohmann::json::parse(GenericEvent("evt_z3", "customer.updated"));
  review["data"]["object"] = {{"id", "cus_zelda"}, {"email", email}, {"name", name}};
  ASSERT_OK(Deliver(review.dump()));
  ASSERT_OK_AND_ASSIGN(IngestResponse parked,
                       Deliver(PaymentIntentSucceeded({.event_id = "evt_z4",
                                                       .payment_intent = "pi_z4",
                                                       .amount = 5000,
                                                       .currency = "kwd",
                                                       .metadata = {{"donor_name", name}},
                                                       .customer = "cus_zelda",
                                                       .receipt_email = email})));
  EXPECT_EQ(parked.outcome, IngestOutcome::kParked);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.review_events"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_payments"), 1);

  // The donor claims the payment with a code (so a claim and a mail hold the address
  // too), then erases everything with their token.
  const std::string token = NewDonorTokenFromIntent();
  v1::RequestDonationClaimResponse claim;
  ASSERT_TRUE(Request(token, email, &claim).ok());
  v1::ConfirmDonationClaimResponse confirmed;
  ASSERT_TRUE(Confirm(token, claim.claim_id(), CodeIn(Outbox().at(0).body()), &confirmed).ok());
  EXPECT_EQ(confirmed.linked_payments(), 1u);
  ASSERT_TRUE(Request(token, email, &claim).ok());  // a pending mail as well
  EXPECT_GT(RowsHolding(db_url(), email), 0);
  EXPECT_GT(RowsHolding(db_url(), name), 0);
  EXPECT_GT(RowsHolding(db_url(), "cus_zelda"), 0);

  v1::EraseDonorRequest erase;
  erase.set_donor_token(token);
  v1::EraseDonorResponse erased;
  ASSERT_TRUE(stub_->EraseDonor(Ctx().get(), erase, &erased).ok());
  EXPECT_EQ(RowsHolding(db_url(), email), 0);
  EXPECT_EQ(RowsHolding(db_url(), "zelda.q"), 0);
  EXPECT_EQ(RowsHolding(db_url(), name), 0);
  EXPECT_EQ(RowsHolding(db_url(), "cus_zelda"), 0);
  // The kept bodies are still there, still JSON, and the ledger is unchanged.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.dead_letters"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.review_events"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.parked_payments"), 1);
  EXPECT_NO_THROW((void)nlohmann::json::parse(
      QueryText("SELECT convert_from(raw_body, 'UTF8') FROM donations.parked_payments")));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger"), 1);
  // The history is still the donor's (amounts, no personal data).
  v1::ListMyDonationsRequest list;
  list.set_donor_token(token);
  v1::ListMyDonationsResponse mine;
  ASSERT_TRUE(stub_->ListMyDonations(Ctx().get(), list, &mine).ok());
  EXPECT_EQ(mine.entries_size(), 1);
}

TEST_F(DonationClaimsGrpcTest, OperatorErasureByEmailAlsoPurgesKeptBodies) {
  const std::string email = "rex@example.org";
  nlohmann::json review = nlohmann::json::parse(GenericEvent("evt_r1", "customer.updated"));
  review["data"]["object"] = {{"id", "cus_rex"}, {"email", email}};
  ASSERT_OK(Deliver(review.dump()));
  PastPayment("r2", 300, "cus_rex", email);
  EXPECT_GT(RowsHolding(db_url(), email), 0);
  v1::EraseDonorRequest erase;
  erase.set_provider("stripe");
  erase.set_email(email);
  v1::EraseDonorResponse erased;
  ASSERT_TRUE(stub_->EraseDonor(Ctx(true).get(), erase, &erased).ok());
  EXPECT_EQ(erased.erased(), 1u);
  EXPECT_EQ(RowsHolding(db_url(), email), 0);
  EXPECT_EQ(RowsHolding(db_url(), "cus_rex"), 0);
}

}  // namespace
}  // namespace freehold::donations::testing
