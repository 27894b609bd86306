// Who may call the coordinator, over mutual TLS with a test fleet CA (TestPki): node
// calls need a storaged certificate whose id is the request's node id, operator calls
// an operator certificate or an access token with the role coordinator:operator (there
// is no shared operator secret, issue 22), and no other certificate role.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <memory>

#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "common/signed_token.h"
#include "common/peer_identity.h"
#include "coordinator/grpc/claims_codec.h"
#include "coordinator/core/ids.h"
#include "coordinator/grpc/coordinator_service.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;
using ::freehold::testing::TestPki;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class CoordinatorRolesTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    if (!TestPki::Available()) GTEST_SKIP() << "no openssl command";
    pki_ = std::make_unique<TestPki>();
    // Plays freehold-accounts: the coordinator verifies its access tokens with this key.
    absl::StatusOr<SigningKey> accounts_key = GenerateSigningKey("accounts-roles-test");
    ASSERT_TRUE(accounts_key.ok()) << accounts_key.status();
    accounts_ = std::make_unique<TokenSigner>(*accounts_key);
    tokens_ = std::make_unique<AccessTokenVerifier>(
        std::vector<PublicKey>{accounts_key->Public()}, clock_);
    service_ = std::make_unique<CoordinatorGrpcService>(
        CoordinatorParts{*tokens_, *registry_, *writer_, *catalog_, *monitor_, true});
    GrpcServerOptions options;
    options.tls = pki_->Issue("coordinator", kRoleCoordinator, "c1")
                      .Server(ClientCertificates::kVerifyIfPresented);
    absl::StatusOr<std::unique_ptr<GrpcServer>> server =
        GrpcServer::Start(options, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
    server_.reset();
    service_.reset();
    CoordinatorPgTest::TearDown();
  }

  std::unique_ptr<v1::Coordinator::Stub> StubAs(std::string_view role, const std::string& id) {
    return StubWith(pki_->Issue(std::string(role) + "-" + id, role, id).Client());
  }
  std::unique_ptr<v1::Coordinator::Stub> StubWith(const ClientTlsOptions& tls) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(server_->address(), tls);
    EXPECT_TRUE(channel.ok()) << channel.status();
    return v1::Coordinator::NewStub(*channel);
  }
  // An access token as freehold-accounts issues it, with `scopes` (its roles among them).
  std::string AccessToken(std::vector<std::string> scopes) const {
    TokenClaims claims;
    claims.audience = "freehold";
    claims.subject = NewUuid();
    claims.issued_at = clock_.Now();
    claims.expires_at = clock_.Now() + absl::Minutes(15);
    claims.scopes = std::move(scopes);
    return SignClaims(*accounts_, claims);
  }
  std::string OperatorToken() const {
    return AccessToken({"accounts", "storage", std::string(kOperatorRoleScope)});
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& bearer = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (!bearer.empty()) ctx->AddMetadata("authorization", "Bearer " + bearer);
    return ctx;
  }

  v1::RegisterNodeRequest SignedRegistration(const TestNode& node) const {
    v1::RegisterNodeRequest req;
    v1::NodeInfo* info = req.mutable_node();
    info->set_node_id(node.id);
    info->set_address(node.address);
    info->mutable_domain()->set_region(node.domain.region);
    info->mutable_domain()->set_zone(node.domain.zone);
    info->mutable_domain()->set_host(node.domain.host);
    info->set_capacity_bytes(uint64_t{1} << 40);
    info->set_node_public_key(PublicKeyOf(node));
    req.set_signed_at_unix_seconds(absl::ToUnixSeconds(clock_.Now()));
    const std::string bytes = SerializeDeterministic(req);
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                         node.key.secret.data());
    req.set_signature(sig);
    return req;
  }

  absl::Status Register(v1::Coordinator::Stub& stub, const TestNode& node) {
    v1::RegisterNodeResponse resp;
    return FromGrpcStatus(stub.RegisterNode(Ctx().get(), SignedRegistration(node), &resp));
  }

  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<TokenSigner> accounts_;
  std::unique_ptr<AccessTokenVerifier> tokens_;
  std::unique_ptr<CoordinatorGrpcService> service_;
  std::unique_ptr<GrpcServer> server_;
};

TEST_F(CoordinatorRolesTest, NodeCallsNeedTheStoragedCertificateOfThatNode) {
  TestNode node = MakeNode("h1");
  TestNode other = MakeNode("h2");
  // Another node's certificate: refused, naming only the certificate's id.
  EXPECT_THAT(Register(*StubAs(kRoleStoraged, other.id), node),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("storaged:" + other.id), Not(HasSubstr(node.id)))));
  // No certificate (TLS only), or another role's.
  EXPECT_THAT(Register(*StubWith(pki_->TrustOnly()), node),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Register(*StubAs(kRoleOperator, "alice"), node),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Its own certificate.
  auto own = StubAs(kRoleStoraged, node.id);
  ASSERT_OK(Register(*own, node));

  v1::HeartbeatRequest beat;
  beat.set_node_id(node.id);
  v1::HeartbeatResponse beat_resp;
  EXPECT_THAT(FromGrpcStatus(
                  StubAs(kRoleStoraged, other.id)->Heartbeat(Ctx().get(), beat, &beat_resp)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // With its own certificate the heartbeat reaches the signature check.
  EXPECT_THAT(FromGrpcStatus(own->Heartbeat(Ctx().get(), beat, &beat_resp)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signed_at")));
}

TEST_F(CoordinatorRolesTest, UnapprovedNodeIsRefusedOverTheWire) {
  TestNode stranger = MakeNode("h1", "z1", "r1", /*approve=*/false);
  EXPECT_THAT(Register(*StubAs(kRoleStoraged, stranger.id), stranger),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not approved")));
  v1::ListPendingNodesResponse pending;
  ASSERT_TRUE(StubAs(kRoleOperator, "alice")
                  ->ListPendingNodes(Ctx().get(), v1::ListPendingNodesRequest(), &pending)
                  .ok());
  ASSERT_EQ(pending.nodes_size(), 1);
  EXPECT_EQ(pending.nodes(0).node_id(), stranger.id);
  EXPECT_EQ(pending.nodes(0).domain().host(), "h1");
  EXPECT_EQ(pending.nodes(0).key_fingerprint(), KeyFingerprint(PublicKeyOf(stranger)));
  // Approved (by an operator's access token, no certificate) from its pending attempt.
  v1::ApproveNodeRequest approve;
  approve.set_node_id(stranger.id);
  v1::ApproveNodeResponse approved;
  ASSERT_TRUE(StubWith(pki_->TrustOnly())
                  ->ApproveNode(Ctx(OperatorToken()).get(), approve, &approved)
                  .ok());
  ASSERT_OK(Register(*StubAs(kRoleStoraged, stranger.id), stranger));
}

TEST_F(CoordinatorRolesTest, OperatorCallsTakeAnOperatorCertificateOrTheRoleButNoOtherRole) {
  TestNode node = MakeNode("h1");
  v1::ClusterStatusResponse status;
  // A storage node's certificate is refused, even with an operator's token.
  auto storaged = StubAs(kRoleStoraged, node.id);
  EXPECT_THAT(FromGrpcStatus(storaged->ClusterStatus(Ctx(OperatorToken()).get(), {}, &status)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("storaged:" + node.id)));
  v1::RevokeNodeRequest revoke;
  revoke.set_node_id(node.id);
  v1::RevokeNodeResponse revoked;
  EXPECT_THAT(FromGrpcStatus(storaged->RevokeNode(Ctx().get(), revoke, &revoked)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(FromGrpcStatus(
                  StubAs(kRoleCoordinator, "c2")->ClusterStatus(Ctx().get(), {}, &status)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // No certificate and no token: UNAUTHENTICATED, saying what would do.
  auto anonymous = StubWith(pki_->TrustOnly());
  EXPECT_THAT(FromGrpcStatus(anonymous->ClusterStatus(Ctx().get(), {}, &status)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("coordinator:operator")));
  // There is no shared operator secret: a bearer value that is not a signed token is
  // refused like any bad token.
  EXPECT_THAT(FromGrpcStatus(
                  anonymous->ClusterStatus(Ctx("operator-secret-for-role-tests").get(), {}, &status)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A user's token, or one with another role (or the retired "admin" scope): denied,
  // naming the role that is needed.
  for (const std::vector<std::string>& scopes :
       std::vector<std::vector<std::string>>{{"accounts", "storage"},
                                             {"accounts", "storage", "donations:admin"},
                                             {"accounts", "storage", "admin"}}) {
    EXPECT_THAT(FromGrpcStatus(anonymous->ClusterStatus(Ctx(AccessToken(scopes)).get(), {}, &status)),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("coordinator:operator")))
        << scopes.back();
    EXPECT_THAT(FromGrpcStatus(anonymous->RevokeNode(Ctx(AccessToken(scopes)).get(), revoke,
                                                     &revoked)),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  // An operator certificate, or a token with the role coordinator:operator.
  auto op = StubAs(kRoleOperator, "alice");
  EXPECT_TRUE(op->ClusterStatus(Ctx().get(), {}, &status).ok());
  EXPECT_TRUE(anonymous->ClusterStatus(Ctx(OperatorToken()).get(), {}, &status).ok());
  EXPECT_TRUE(op->RevokeNode(Ctx().get(), revoke, &revoked).ok());
  // Revoked: the node's own certificate no longer gets it in.
  EXPECT_THAT(Register(*storaged, node),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("revoked")));
}

}  // namespace
}  // namespace freehold::coordinator::testing
