// GrpcServer / MakeChannel / WaitForServing: health, reflection, shutdown, TLS.
#include "common/grpc_server.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "absl/time/clock.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::freehold::testing::TempDir;
using ::testing::HasSubstr;

TEST(GrpcServerTest, ListensOnPortZeroAndServesHealth) {
  GrpcServerOptions options;  // 127.0.0.1:0
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(options, {}));
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));
  EXPECT_OK(WaitForServing(server->address(), absl::Now() + absl::Seconds(10)));
}

TEST(GrpcServerTest, ListensOnIpv6Loopback) {
  GrpcServerOptions options;
  options.listen_address = "[::1]:0";
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, {});
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.status();
  EXPECT_EQ((*server)->address(), "[::1]:" + std::to_string((*server)->port()));
  EXPECT_OK(WaitForServing((*server)->address(), absl::Now() + absl::Seconds(10)));
}

TEST(GrpcServerTest, HealthFollowsSetServingAndShutdown) {
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(GrpcServerOptions(), {}));
  ASSERT_OK_AND_ASSIGN(auto channel, MakeChannel(server->address()));
  EXPECT_OK(CheckHealth(*channel, "", absl::Seconds(10)));
  server->SetServing(false);
  EXPECT_THAT(CheckHealth(*channel, "", absl::Seconds(10)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("NOT_SERVING")));
  server->SetServing(true);
  EXPECT_OK(CheckHealth(*channel, "", absl::Seconds(10)));
  const std::string address = server->address();
  server->Shutdown(absl::Milliseconds(100));
  server.reset();
  const absl::Time start = absl::Now();
  EXPECT_THAT(WaitForServing(address, absl::Now() + absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(GrpcServerTest, RejectsBadOptions) {
  GrpcServerOptions options;
  options.listen_address = "nonsense";
  EXPECT_THAT(GrpcServer::Start(options, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listen_address")));
  options = GrpcServerOptions();
  options.tls.cert_file = "/nonexistent/cert.pem";
  options.tls.key_file = "/nonexistent/key.pem";
  EXPECT_THAT(GrpcServer::Start(options, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cert_file")));
}

// A server without TLS may listen only on loopback; anything else needs the loudly
// named override. (Validation only: tests never listen beyond loopback.)
TEST(GrpcServerTest, RefusesPlaintextOnNonLoopbackAddress) {
  for (const char* address : {"0.0.0.0:0", "[::]:0", ":0", "192.0.2.10:7000", "example.org:1"}) {
    GrpcServerOptions options;
    options.listen_address = address;
    EXPECT_THAT(GrpcServer::Start(options, {}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("--insecure-plaintext-listen")))
        << address;
    options.allow_plaintext_non_loopback = true;
    EXPECT_OK(ValidateGrpcServerOptions(options)) << address;
    options.allow_plaintext_non_loopback = false;
    options.tls.cert_file = "cert.pem";
    options.tls.key_file = "key.pem";
    EXPECT_OK(ValidateGrpcServerOptions(options)) << address << " with TLS";
  }
  for (const char* address : {"127.0.0.1:0", "127.1.2.3:0", "[::1]:0", "localhost:0"}) {
    GrpcServerOptions options;
    options.listen_address = address;
    EXPECT_OK(ValidateGrpcServerOptions(options)) << address;
  }
}

TEST(GrpcServerTest, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1:1", "127.9.9.9:1", "localhost:1", "[::1]:1", "dns:///localhost:1",
                        "ipv4:127.0.0.1:5", "ipv6:[::1]:5", "unix:/tmp/s", "[::ffff:127.0.0.1]:1"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0:1", "[::]:1", ":1", "10.0.0.1:1", "128.0.0.1:1", "127.0.0.1.evil:1",
                        "localhost.example:1", "dns:///example.org:443", "[::2]:1", "127.0.0:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

TEST(GrpcServerTest, ReportsAddressInUse) {
  ASSERT_OK_AND_ASSIGN(auto first, GrpcServer::Start(GrpcServerOptions(), {}));
  GrpcServerOptions options;
  options.listen_address = first->address();
  EXPECT_THAT(GrpcServer::Start(options, {}), StatusIs(absl::StatusCode::kUnavailable));
}

// Asks the reflection service to list services (grpc.reflection.v1alpha, bidi stream).
TEST(GrpcServerTest, ServesReflection) {
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(GrpcServerOptions(), {}));
  ASSERT_OK_AND_ASSIGN(auto channel, MakeChannel(server->address()));
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  auto step = [&](intptr_t id) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), id);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(1));
  // ServerReflectionRequest{list_services (field 7) = "*"}
  const std::string request("\x3a\x01*", 3);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  call->Write(req, reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(3));
  grpc::ByteBuffer resp;
  call->Read(&resp, reinterpret_cast<void*>(4));
  ASSERT_TRUE(step(4));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(resp.Dump(&slices).ok());
  std::string text;
  for (auto& s : slices) text.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(text, HasSubstr("grpc.health.v1.Health"));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// Self-signed certificates made with the openssl command line tool.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl";
    MakeCert("server", "localhost");
    MakeCert("client", "freehold-client");
  }
  void MakeCert(const std::string& name, const std::string& cn) {
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=" +
        cn + " -addext subjectAltName=DNS:" + cn + " -keyout " + dir_.File(name + ".key") +
        " -out " + dir_.File(name + ".pem") + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  ServerTlsOptions ServerTls(bool mutual) {
    ServerTlsOptions t;
    t.cert_file = dir_.File("server.pem");
    t.key_file = dir_.File("server.key");
    if (mutual) t.client_ca_file = dir_.File("client.pem");
    return t;
  }
  ClientTlsOptions ClientTls(bool with_cert) {
    ClientTlsOptions t;
    t.ca_file = dir_.File("server.pem");
    t.server_name_override = "localhost";
    if (with_cert) {
      t.cert_file = dir_.File("client.pem");
      t.key_file = dir_.File("client.key");
    }
    return t;
  }
  TempDir dir_;
};

TEST_F(TlsTest, ServesHealthOverTls) {
  GrpcServerOptions options;
  options.tls = ServerTls(false);
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(options, {}));
  EXPECT_OK(WaitForServing(server->address(), absl::Now() + absl::Seconds(10), ClientTls(false)));
  // A plaintext client cannot talk to a TLS server.
  EXPECT_FALSE(WaitForServing(server->address(), absl::Now() + absl::Milliseconds(500)).ok());
}

TEST_F(TlsTest, MutualTlsRequiresClientCertificate) {
  GrpcServerOptions options;
  options.tls = ServerTls(true);
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(options, {}));
  EXPECT_OK(WaitForServing(server->address(), absl::Now() + absl::Seconds(10), ClientTls(true)));
  EXPECT_FALSE(
      WaitForServing(server->address(), absl::Now() + absl::Milliseconds(500), ClientTls(false))
          .ok());
}

}  // namespace
}  // namespace freehold
