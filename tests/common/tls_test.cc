// Mutual TLS as every Freehold server and client uses it (common/grpc_server.h,
// common/tls_config.h, common/peer_identity.h): the caller's role from its
// certificate, handshakes that must fail, and certificate rotation without a restart.
#include <gmock/gmock.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "absl/time/clock.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "common/tls_config.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::freehold::testing::TestPki;
using ::testing::HasSubstr;

MATCHER_P(IsOkAndHolds, value, "is OK and holds " + ::testing::PrintToString(value)) {
  if (!arg.ok()) {
    *result_listener << "status " << arg.status();
    return false;
  }
  *result_listener << "holds " << *arg;
  return *arg == value;
}

// Answers every call: OK with "role:id" of the caller if it holds a coordinator
// certificate, else RequireCallerRole's status.
class WhoAmI : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(grpc::GenericCallbackServerContext* ctx) {
        absl::Status allowed = RequireCallerRole(*ctx, {kRoleCoordinator});
        if (!allowed.ok()) {
          Finish(ToGrpcStatus(allowed));
          return;
        }
        std::optional<PeerIdentity> who = CallerIdentity(*ctx);
        grpc::Slice slice(who->role + ":" + who->id);
        response_ = grpc::ByteBuffer(&slice, 1);
        StartRead(&request_);
      }
      void OnReadDone(bool ok) override {
        if (ok) {
          StartWrite(&response_);
        } else {
          Finish(grpc::Status::OK);
        }
      }
      void OnWriteDone(bool) override { Finish(grpc::Status::OK); }
      void OnDone() override { delete this; }

     private:
      grpc::ByteBuffer request_, response_;
    };
    return new Reactor(ctx);
  }
};

class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestPki::Available()) GTEST_SKIP() << "no openssl command";
    pki_ = std::make_unique<TestPki>();
  }

  std::unique_ptr<GrpcServer> Serve(const TlsConfig& tls, ClientCertificates policy) {
    GrpcServerOptions options;
    options.tls = tls.Server(policy);
    // A callback generic service serves one server only.
    WhoAmI* who = services_.emplace_back(std::make_unique<WhoAmI>()).get();
    options.configure = [who](grpc::ServerBuilder& b) { b.RegisterCallbackGenericService(who); };
    absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, {});
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  // One call on a fresh channel: the answer ("role:id") or the error. When
  // server_identity is given, it receives the server's certificate identity.
  absl::StatusOr<std::string> Call(const std::string& address, const ClientTlsOptions& tls,
                                   std::optional<PeerIdentity>* server_identity = nullptr) {
    ClientTlsOptions t = tls;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(address, t);
    if (!channel.ok()) return channel.status();
    grpc::GenericStub stub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::Slice slice(std::string("hi"));
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/test.WhoAmI/Ask", grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status status = done.get_future().get();
    if (server_identity != nullptr) {
      server_identity->reset();
      if (auto auth = ctx.auth_context()) {
        for (const auto& v : auth->FindPropertyValues("peer_spiffe_id")) {
          *server_identity = ParseSpiffeId(std::string_view(v.data(), v.size()));
        }
      }
    }
    if (!status.ok()) return FromGrpcStatus(status);
    std::vector<grpc::Slice> slices;
    std::string text;
    if (response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices)
        text.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return text;
  }

  std::unique_ptr<TestPki> pki_;
  std::vector<std::unique_ptr<WhoAmI>> services_;  // outlive the servers (test locals)
};

TEST(PeerIdentityTest, ParsesOnlyFreeholdSpiffeIds) {
  EXPECT_EQ(ParseSpiffeId("spiffe://freehold/role/storaged/node-7"),
            (PeerIdentity{"storaged", "node-7"}));
  EXPECT_EQ(SpiffeIdFor({"operator", "alice"}), "spiffe://freehold/role/operator/alice");
  for (const char* bad :
       {"spiffe://freehold/role/root/x", "spiffe://other/role/storaged/x",
        "spiffe://freehold/role/storaged/", "spiffe://freehold/role/storaged/a/b",
        "spiffe://freehold/role/storaged", "https://freehold/role/storaged/x", ""}) {
    EXPECT_EQ(ParseSpiffeId(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseSpiffeId("spiffe://freehold/role/storaged/" + std::string(65, 'a')), std::nullopt);
}

TEST(PeerIdentityTest, LoopbackPeersAreRecognised) {
  EXPECT_TRUE(IsLoopbackPeer("ipv4:127.0.0.1:4000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv4:127.1.2.3:4000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::1]:4000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::ffff:127.0.0.1]:4000"));
  EXPECT_TRUE(IsLoopbackPeer("unix:/tmp/s"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:10.0.0.1:4000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:128.0.0.1:4000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv6:[2001:db8::1]:4000"));
  EXPECT_FALSE(IsLoopbackPeer(""));
}

TEST_F(MutualTlsTest, TheCallerRoleComesFromItsCertificate) {
  auto server =
      Serve(pki_->Issue("server", kRoleAccounts, "a1"), ClientCertificates::kVerifyIfPresented);
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(Call(server->address(), pki_->Issue("c", kRoleCoordinator, "c1").Client()),
              IsOkAndHolds("coordinator:c1"));
  // A valid certificate of the wrong role.
  EXPECT_THAT(Call(server->address(), pki_->Issue("s", kRoleStoraged, "n1").Client()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("storaged:n1 may not make this call")));
  // No client certificate (the CLI): TLS works, the call needs a role.
  EXPECT_THAT(Call(server->address(), pki_->TrustOnly()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("client certificate")));
}

TEST_F(MutualTlsTest, HandshakesWithUntrustedOrExpiredCertificatesFail) {
  const TlsConfig server_tls = pki_->Issue("server", kRoleAccounts, "a1");
  auto server = Serve(server_tls, ClientCertificates::kVerifyIfPresented);
  ASSERT_NE(server, nullptr);
  TestPki other;  // another CA
  // The client trusts another CA: the server's certificate does not verify.
  EXPECT_THAT(Call(server->address(), other.TrustOnly()), StatusIs(absl::StatusCode::kUnavailable));
  // A client certificate from another CA, and an expired one from ours.
  TlsConfig rogue = other.Issue("c", kRoleCoordinator, "c1");
  rogue.ca_file = pki_->ca_file();
  EXPECT_THAT(Call(server->address(), rogue.Client()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Call(server->address(), pki_->IssueExpired("old", kRoleCoordinator, "c1").Client()),
              StatusIs(absl::StatusCode::kUnavailable));
  // A plaintext client.
  EXPECT_THAT(Call(server->address(), ClientTlsOptions{}),
              StatusIs(absl::StatusCode::kUnavailable));
  // An expired server certificate.
  auto expired_server = Serve(pki_->IssueExpired("old-server", kRoleAccounts, "a2"),
                              ClientCertificates::kVerifyIfPresented);
  ASSERT_NE(expired_server, nullptr);
  EXPECT_THAT(Call(expired_server->address(), pki_->Issue("c2", kRoleCoordinator, "c1").Client()),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MutualTlsTest, ServiceOnlyServersRefuseClientsWithoutACertificate) {
  auto server = Serve(pki_->Issue("server", kRoleCoordinator, "c1"), ClientCertificates::kRequired);
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(Call(server->address(), pki_->TrustOnly()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Call(server->address(), pki_->Issue("c", kRoleCoordinator, "c2").Client()),
              IsOkAndHolds("coordinator:c2"));
}

TEST_F(MutualTlsTest, RotatedCertificatesAreServedWithoutARestartAndNoCallFails) {
  namespace fs = std::filesystem;
  // The server reads its pair through a directory link that rotation swaps whole.
  const TlsConfig first = pki_->Issue("gen1", kRoleAccounts, "first", absl::Seconds(1));
  const TlsConfig second = pki_->Issue("gen2", kRoleAccounts, "second", absl::Seconds(1));
  const fs::path dir = pki_->dir();
  for (const char* gen : {"gen1", "gen2"}) {
    fs::create_directory(dir / gen);
    fs::copy_file(dir / (std::string(gen) + ".crt"), dir / gen / "tls.crt");
    fs::copy_file(dir / (std::string(gen) + ".key"), dir / gen / "tls.key");
  }
  fs::create_directory_symlink("gen1", dir / "current");
  TlsConfig live = first;
  live.cert_file = (dir / "current" / "tls.crt").string();
  live.key_file = (dir / "current" / "tls.key").string();
  auto server = Serve(live, ClientCertificates::kVerifyIfPresented);
  ASSERT_NE(server, nullptr);
  const ClientTlsOptions client = pki_->Issue("c", kRoleCoordinator, "c1").Client();

  std::optional<PeerIdentity> seen;
  ASSERT_OK(Call(server->address(), client, &seen).status());
  ASSERT_EQ(seen, (PeerIdentity{"accounts", "first"}));
  fs::create_directory_symlink("gen2", dir / "next");
  fs::rename(dir / "next", dir / "current");  // atomic swap
  // Calls keep succeeding; within a few reload intervals new connections see gen2.
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  int calls = 0;
  while (absl::Now() < deadline) {
    ASSERT_OK(Call(server->address(), client, &seen).status()) << "call " << calls;
    ++calls;
    if (seen == PeerIdentity{"accounts", "second"}) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(seen, (PeerIdentity{"accounts", "second"})) << "after " << calls << " calls";
  (void)second;
}

TEST_F(MutualTlsTest, TlsConfigNeedsAllThreeFilesOrNone) {
  TlsConfig c;
  EXPECT_OK(c.Validate());
  c.cert_file = "/nonexistent.crt";
  EXPECT_THAT(c.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-key")));
  c = pki_->Issue("x", kRoleStoraged, "n1");
  EXPECT_OK(c.Validate());
  c.ca_file = "/nonexistent/ca.crt";
  EXPECT_THAT(c.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-ca: cannot read")));
  c = pki_->Issue("y", kRoleStoraged, "n2");
  c.reload_interval = absl::Milliseconds(10);
  EXPECT_THAT(c.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-reload-interval")));
}

}  // namespace
}  // namespace freehold
