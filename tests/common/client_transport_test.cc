// ClientTransport (common/client_transport.h): TLS by default, plaintext only to
// loopback unless the loudly named flag is given (with a warning each time), and
// hints that say what to check when a handshake fails.
#include "common/client_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "absl/time/clock.h"
#include "tests/support/status_matchers.h"
#include "common/peer_identity.h"
#include "tests/support/test_pki.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::freehold::testing::TestPki;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ClientTransportTest, TlsByDefaultWithTheGivenCa) {
  ClientTransport t;
  t.ca_file = "/etc/ssl/ca.crt";
  ASSERT_OK_AND_ASSIGN(ClientTlsOptions tls, t.For("storage.example.org:443", nullptr));
  EXPECT_TRUE(tls.active());
  EXPECT_EQ(tls.ca_file, "/etc/ssl/ca.crt");
  ClientTransport system_store;
  ASSERT_OK_AND_ASSIGN(tls, system_store.For("127.0.0.1:17101", nullptr));
  EXPECT_TRUE(tls.active());  // TLS even to loopback unless --plaintext
  EXPECT_TRUE(tls.ca_file.empty());
}

TEST(ClientTransportTest, PlaintextOnlyToLoopback) {
  ClientTransport t;
  t.plaintext = true;
  for (const char* a : {"127.0.0.1:17101", "localhost:1", "[::1]:2", "127.0.0.5:3"}) {
    ASSERT_OK_AND_ASSIGN(ClientTlsOptions tls, t.For(a, nullptr));
    EXPECT_FALSE(tls.active()) << a;
  }
  for (const char* a : {"10.1.2.3:17101", "example.org:443", "0.0.0.0:1"}) {
    EXPECT_THAT(t.For(a, nullptr),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("--insecure-plaintext-to-remote-host")))
        << a;
  }
}

TEST(ClientTransportTest, InsecureRemoteWarnsOnEveryUse) {
  ClientTransport t;
  t.insecure_remote = true;
  std::ostringstream warnings;
  ASSERT_OK_AND_ASSIGN(ClientTlsOptions tls, t.For("10.1.2.3:17101", &warnings));
  EXPECT_FALSE(tls.active());
  EXPECT_THAT(warnings.str(), HasSubstr("WARNING"));
  EXPECT_THAT(warnings.str(), HasSubstr("10.1.2.3:17101"));
  ASSERT_OK(t.For("10.1.2.4:1", &warnings).status());
  EXPECT_THAT(warnings.str(), HasSubstr("10.1.2.4:1"));
  std::ostringstream none;
  ASSERT_OK(t.For("127.0.0.1:1", &none).status());
  EXPECT_THAT(none.str(), IsEmpty());  // loopback is not worth a warning
}

TEST(ClientTransportTest, ValidateNamesTheFlag) {
  ClientTransport t;
  t.cert_file = "/x.crt";
  EXPECT_THAT(t.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-key")));
  t = ClientTransport();
  t.plaintext = true;
  t.ca_file = "/x.crt";
  EXPECT_THAT(t.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--ca-file")));
  t = ClientTransport();
  t.ca_file = "/nonexistent/ca.crt";
  EXPECT_THAT(t.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
}

// Against real servers: the CA verifies a TLS server, a wrong CA fails the
// handshake and the hint names the CA file, plaintext to a TLS server fails.
TEST(ClientTransportTest, RealHandshakesAndHints) {
  if (!TestPki::Available()) GTEST_SKIP() << "no openssl command";
  TestPki pki, other;
  GrpcServerOptions options;
  options.tls = pki.Issue("accounts", kRoleAccounts, "a1").Server(
      ClientCertificates::kVerifyIfPresented);
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(options, {}));

  ClientTransport good;
  good.ca_file = pki.ca_file();
  ASSERT_OK_AND_ASSIGN(ClientTlsOptions tls, good.For(server->address(), nullptr));
  EXPECT_OK(WaitForServing(server->address(), absl::Now() + absl::Seconds(10), tls));

  ClientTransport wrong;
  wrong.ca_file = other.ca_file();
  ASSERT_OK_AND_ASSIGN(tls, wrong.For(server->address(), nullptr));
  absl::Status failed = WaitForServing(server->address(), absl::Now() + absl::Seconds(2), tls);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(wrong.Hint(std::string(failed.message())), HasSubstr(other.ca_file()));

  ClientTransport plain;
  plain.plaintext = true;
  ASSERT_OK_AND_ASSIGN(tls, plain.For(server->address(), nullptr));
  failed = WaitForServing(server->address(), absl::Now() + absl::Seconds(2), tls);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(plain.Hint(std::string(failed.message())), HasSubstr("drop --plaintext"));

  // Nothing listening is not a TLS matter: no hint.
  EXPECT_THAT(good.Hint("failed to connect to all addresses; last error: UNKNOWN: "
                        "ipv4:127.0.0.1:1: Failed to connect to remote host: Connection refused"),
              IsEmpty());
}

}  // namespace
}  // namespace freehold
