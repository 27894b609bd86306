// The CLI's channels repeat idempotent calls that answer UNAVAILABLE (a database
// failover in progress) and never repeat calls that change state. A real gRPC server on
// loopback answers UNAVAILABLE a set number of times.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/time/clock.h"
#include "client/cli/retry_policy.h"
#include "client/cli/rpc.h"
#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "freehold/v1/donations.grpc.pb.h"
#include "freehold/v1/funding.grpc.pb.h"
#include "freehold/v1/storage.grpc.pb.h"
#include "client/cli/uploader.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"

namespace freehold::cli {
namespace {

// Answers UNAVAILABLE to the first `failures` calls of each method, then OK.
class FlakyCoordinator final : public v1::Coordinator::Service {
 public:
  explicit FlakyCoordinator(int failures) : failures_(failures) {}
  grpc::Status GetObject(grpc::ServerContext*, const v1::GetObjectRequest*,
                         v1::GetObjectResponse*) override {
    return Answer(get_calls_);
  }
  grpc::Status CommitObject(grpc::ServerContext*, const v1::CommitObjectRequest*,
                            v1::CommitObjectResponse*) override {
    return Answer(commit_calls_);
  }
  std::atomic<int> get_calls_{0};
  std::atomic<int> commit_calls_{0};

 private:
  grpc::Status Answer(std::atomic<int>& calls) {
    if (calls.fetch_add(1) < failures_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "database connection lost");
    }
    return grpc::Status::OK;
  }
  const int failures_;
};

class CliRetryTest : public ::testing::Test {
 protected:
  void Start(int failures) {
    service_ = std::make_unique<FlakyCoordinator>(failures);
    ASSERT_OK_AND_ASSIGN(server_, GrpcServer::Start(GrpcServerOptions{}, {service_.get()}));
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<grpc::Channel> channel,
                         MakeChannel(server_->address(), {}, CliChannelArguments()));
    stub_ = v1::Coordinator::NewStub(channel);
  }
  // The back-off between five attempts is about 0.5+1.5+4.5+10 s.
  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    return ctx;
  }

  std::unique_ptr<FlakyCoordinator> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

TEST_F(CliRetryTest, RepeatsAnIdempotentCallUntilItSucceeds) {
  Start(/*failures=*/2);
  v1::GetObjectRequest req;
  v1::GetObjectResponse resp;
  grpc::Status s = stub_->GetObject(Context().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(service_->get_calls_.load(), 3);
}

TEST_F(CliRetryTest, GivesUpAfterFiveAttempts) {
  Start(/*failures=*/100);
  auto ctx = Context();
  v1::GetObjectRequest req;
  v1::GetObjectResponse resp;
  grpc::Status s = stub_->GetObject(ctx.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->get_calls_.load(), 5);
}

TEST_F(CliRetryTest, NeverRepeatsACallThatChangesState) {
  Start(/*failures=*/1);
  v1::CommitObjectRequest req;
  v1::CommitObjectResponse resp;
  grpc::Status s = stub_->CommitObject(Context().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->commit_calls_.load(), 1);
}

// A storage channel whose connect attempt failed (a daemon restarting, or gRPC 1.51's
// spurious "No such file or directory": see StorageChannelArguments) must try to connect
// again within the uploader's same-node back-off. With gRPC's default reconnect back-off
// (1 s) every retry within it failed at once with the old error, and the shard was moved
// away from a live daemon (or the put failed when no other node could take it).
TEST(StorageChannelTest, ReconnectsWithinTheUploadersSameNodeBackoff) {
  ASSERT_OK_AND_ASSIGN(int port, testing::PickFreePort());
  const std::string address = absl::StrCat("127.0.0.1:", port);
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<grpc::Channel> channel,
                       MakeChannel(address, {}, StorageChannelArguments()));
  std::unique_ptr<v1::Coordinator::Stub> stub = v1::Coordinator::NewStub(channel);
  auto call = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::GetObjectRequest req;
    v1::GetObjectResponse resp;
    return stub->GetObject(&ctx, req, &resp);
  };
  // Nothing listens yet: the connect attempt fails.
  EXPECT_EQ(call().error_code(), grpc::StatusCode::UNAVAILABLE);
  FlakyCoordinator service(/*failures=*/0);
  GrpcServerOptions options;
  options.listen_address = address;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<GrpcServer> server, GrpcServer::Start(options, {&service}));
  // The uploader's retries of the same node, with their waits.
  const std::vector<absl::Duration> waits = UploadConfig{}.same_node_backoff;
  grpc::Status last;
  for (absl::Duration wait : waits) {
    absl::SleepFor(wait);
    last = call();
    if (last.ok()) break;
  }
  EXPECT_TRUE(last.ok()) << "still failing after the same-node back-off: " << last.error_message();
  EXPECT_EQ(service.get_calls_.load(), 1);
}

TEST(CliRetryPolicyTest, AServiceWithoutItsDatabaseIsNotCalledUnreachable) {
  Service accounts{"accounts", "127.0.0.1:1", nullptr, ClientTransport{}};
  grpc::ClientContext ctx;
  absl::Status s = CallFailed(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "database connection lost: not connected"), ctx,
      accounts, "put f");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              ::testing::AllOf(::testing::StartsWith("put f: "),
                               ::testing::HasSubstr("database connection lost: not connected"),
                               ::testing::HasSubstr("problem on the service side"),
                               ::testing::Not(::testing::HasSubstr("Is the cluster running"))));
  // A service that cannot connect to PostgreSQL says "connect" and "Connection" too: it
  // is still the service's database, not an unreachable service.
  absl::Status pg = CallFailed(
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   "cannot connect to PostgreSQL: could not connect to server: Connection refused"),
      ctx, accounts, "put f");
  EXPECT_THAT(std::string(pg.message()),
              ::testing::AllOf(::testing::HasSubstr("cannot use its database"),
                               ::testing::Not(::testing::HasSubstr("cannot reach"))));
  // A transport failure still says how to check the address.
  absl::Status t =
      CallFailed(grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses"),
                 ctx, accounts, "put f");
  EXPECT_THAT(std::string(t.message()), ::testing::HasSubstr("cannot reach the accounts service"));
}

TEST(CliRetryPolicyTest, ListsOnlyMethodsThatExist) {
  // Each name must resolve to a method of the generated services, or gRPC would
  // silently never apply the policy to it.
  // (Touching a message of each file links its descriptors in.)
  ASSERT_NE(v1::PreLoginRequest::descriptor(), nullptr);
  ASSERT_NE(v1::GetCampaignRequest::descriptor(), nullptr);
  ASSERT_NE(v1::GetFundingStatusRequest::descriptor(), nullptr);
  ASSERT_NE(v1::NodeStatsRequest::descriptor(), nullptr);
  const grpc::protobuf::DescriptorPool* pool = grpc::protobuf::DescriptorPool::generated_pool();
  for (std::string_view m : IdempotentMethods()) {
    const size_t slash = m.find('/');
    ASSERT_NE(slash, std::string_view::npos) << m;
    const auto* service = pool->FindServiceByName(std::string(m.substr(0, slash)));
    ASSERT_NE(service, nullptr) << m;
    EXPECT_NE(service->FindMethodByName(std::string(m.substr(slash + 1))), nullptr) << m;
  }
}

}  // namespace
}  // namespace freehold::cli
