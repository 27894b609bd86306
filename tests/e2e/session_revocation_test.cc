// Ended sessions end their access tokens everywhere within seconds: the real
// freehold-accounts and freehold-coordinator processes (docs/ARCHITECTURE.md#14-trust).
// The coordinator verifies access tokens offline and reads the sessions accounts
// ended every --revocation-poll-interval: after `freehold logout` (and a password
// change, which ends the other sessions) the very same token is refused with
// UNAUTHENTICATED "session ended" within about that interval, not 15 minutes later.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/grpc_server.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"

namespace freehold::e2e {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(500);

class SessionRevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClusterOptions o;
    o.storage_nodes = 0;  // no data path involved
    o.coordinator_args = {"--revocation-poll-interval", "500ms"};
    absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        MakeChannel(cluster_->coordinator_address(), cluster_->client_tls());
    ASSERT_TRUE(ch.ok()) << ch.status();
    stub_ = v1::Coordinator::NewStub(*ch);
  }

  std::unique_ptr<CliUser> User(const std::string& handle, const std::string& password) {
    return std::make_unique<CliUser>(cluster_->accounts_address(),
                                     cluster_->coordinator_address(), password,
                                     cluster_->ca_file());
  }

  grpc::Status ListObjects(const std::string& token) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::ListObjectsRequest req;
    v1::ListObjectsResponse resp;
    return stub_->ListObjects(&ctx, req, &resp);
  }

  // Calls with `token` until refused; returns how long that took (or fails).
  absl::Duration TimeUntilRefused(const std::string& token, absl::Time ended) {
    grpc::Status s;
    const absl::Time deadline = ended + absl::Seconds(10);
    while (absl::Now() < deadline) {
      s = ListObjects(token);
      if (!s.ok()) break;
      absl::SleepFor(absl::Milliseconds(25));
    }
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    EXPECT_NE(s.error_message().find("session ended"), std::string::npos) << s.error_message();
    return absl::Now() - ended;
  }

  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

TEST_F(SessionRevocationTest, LogoutEndsTheAccessTokenAtTheCoordinatorWithinThePollInterval) {
  const std::string handle = "rev" + std::to_string(::getpid());
  auto user = User(handle, TestPassword(handle));
  CliResult r = user->Run({"signup", "--handle", handle});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string token = AccessToken(*user);
  ASSERT_FALSE(token.empty());
  grpc::Status before = ListObjects(token);
  ASSERT_TRUE(before.ok()) << before.error_message();

  r = user->Run({"logout"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const absl::Duration took = TimeUntilRefused(token, absl::Now());
  // One poll interval plus the poll itself and scheduling; far below the token's 15 min.
  EXPECT_LT(took, kPollInterval + absl::Seconds(2));

  // A new session of the same account is not affected.
  r = user->Run({"login", "--handle", handle});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string fresh = AccessToken(*user);
  ASSERT_FALSE(fresh.empty());
  ASSERT_NE(fresh, token);
  absl::SleepFor(2 * kPollInterval);
  grpc::Status after = ListObjects(fresh);
  EXPECT_TRUE(after.ok()) << after.error_message();
}

}  // namespace
}  // namespace freehold::e2e
