// freehold-storaged as a real process against an in-test fake coordinator:
// signed registration, heartbeats, re-registration on NOT_FOUND, backoff while the
// coordinator is unreachable, and corrupt shards found by the scrubber.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "services/storaged/core/key_ring.h"
#include "tests/storaged/fake_coordinator.h"
#include "tests/storaged/storaged_harness.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

class StoragedAnnounceTest : public ::testing::Test {
 protected:
  StoragedAnnounceTest() : coordinator_key_(NewKey("coord-1")) {
    keys_file_ = dir_.WriteFile("coordinator.pub",
                                FormatPublicKeyFile({coordinator_key_.public_key()}), 0644);
  }

  void StartDaemon(const std::string& coordinator_address, std::vector<std::string> extra = {}) {
    DaemonOptions options;
    options.data_dir = dir_.File("data");
    options.keys_file = keys_file_;
    options.extra_args = {"--coordinator",
                          coordinator_address,
                          "--heartbeat-interval",
                          "100ms",
                          "--max-backoff",
                          "300ms",
                          "--region",
                          "eu",
                          "--zone",
                          "eu-1",
                          "--host",
                          "rack7"};
    options.extra_args.insert(options.extra_args.end(), extra.begin(), extra.end());
    absl::StatusOr<std::unique_ptr<StoragedDaemon>> daemon = StoragedDaemon::Start(options);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = *std::move(daemon);
  }

  std::string Token(GrantOperation op, const std::string& key, std::string_view data = "") {
    return SignGrant(coordinator_key_,
                     MakeGrant(op, daemon_->node_id(), key, data, absl::Now() + absl::Minutes(10)));
  }

  freehold::testing::TempDir dir_;
  TokenSigner coordinator_key_;
  std::string keys_file_;
  FakeCoordinator fake_;
  std::unique_ptr<StoragedDaemon> daemon_;
};

TEST_F(StoragedAnnounceTest, RegistersSignedAndHeartbeatsUsage) {
  ASSERT_OK_AND_ASSIGN(auto server, fake_.Serve("127.0.0.1:0"));
  StartDaemon(server->address(), {"--node-address", "127.0.0.1:7999"});
  ASSERT_TRUE(fake_.WaitFor([](const FakeCoordinator& f) { return f.registrations() >= 1; }));
  const v1::RegisterNodeRequest reg = fake_.registration_requests().front();
  EXPECT_EQ(reg.node().node_id(), daemon_->node_id());
  EXPECT_EQ(reg.node().address(), "127.0.0.1:7999");
  EXPECT_EQ(reg.node().node_public_key(), daemon_->node_public_key());
  EXPECT_EQ(reg.node().domain().region(), "eu");
  EXPECT_EQ(reg.node().domain().zone(), "eu-1");
  EXPECT_EQ(reg.node().domain().host(), "rack7");
  EXPECT_GT(reg.node().capacity_bytes(), 0u);
  EXPECT_NEAR(reg.signed_at_unix_seconds(), absl::ToUnixSeconds(absl::Now()), 60);

  const std::string data = PatternBytes(70000);
  ASSERT_TRUE(
      PutShard(daemon_->stub(), Token(GrantOperation::kPut, ShardKey(1), data), data).status.ok());
  ASSERT_TRUE(fake_.WaitFor([](const FakeCoordinator& f) {
    auto beats = f.heartbeat_requests();
    return !beats.empty() && beats.back().shard_count() == 1 && beats.back().used_bytes() == 70000;
  }));
  const v1::HeartbeatRequest beat = fake_.heartbeat_requests().back();
  EXPECT_EQ(beat.node_id(), daemon_->node_id());
  EXPECT_GT(beat.free_bytes(), 0u);
  EXPECT_THAT(beat.version(), HasSubstr("freehold-storaged"));
  EXPECT_EQ(fake_.bad_signatures(), 0);
}

TEST_F(StoragedAnnounceTest, RegistersAgainWhenTheCoordinatorAnswersNotFound) {
  ASSERT_OK_AND_ASSIGN(auto server, fake_.Serve("127.0.0.1:0"));
  StartDaemon(server->address());
  ASSERT_TRUE(fake_.WaitFor([](const FakeCoordinator& f) { return f.heartbeats() >= 1; }));
  EXPECT_EQ(fake_.registrations(), 1);
  fake_.ForgetAllNodes();
  ASSERT_TRUE(fake_.WaitFor([](const FakeCoordinator& f) { return f.registrations() >= 2; }));
  const int beats = fake_.heartbeats();
  ASSERT_TRUE(fake_.WaitFor([&](const FakeCoordinator& f) { return f.heartbeats() > beats; }));
  EXPECT_EQ(fake_.bad_signatures(), 0);
}

TEST_F(StoragedAnnounceTest, ServesWhileTheCoordinatorIsDownAndRegistersWhenItComes) {
  ASSERT_OK_AND_ASSIGN(int port, freehold::testing::PickFreePort());
  const std::string address = "127.0.0.1:" + std::to_string(port);
  StartDaemon(address);
  // Nobody listens yet: the daemon serves anyway.
  const std::string data = "stored while the coordinator is away";
  ASSERT_TRUE(
      PutShard(daemon_->stub(), Token(GrantOperation::kPut, ShardKey(1), data), data).status.ok());
  absl::SleepFor(absl::Milliseconds(500));  // let a few retries fail (max backoff 300ms)
  ASSERT_OK_AND_ASSIGN(auto server, fake_.Serve(address));
  // Backoff is capped at 300ms (+20% jitter), so registration follows quickly.
  ASSERT_TRUE(fake_.WaitFor([](const FakeCoordinator& f) { return f.heartbeats() >= 1; },
                            absl::Seconds(5)));
  EXPECT_EQ(fake_.heartbeat_requests().back().shard_count(), 1u);
}

TEST_F(StoragedAnnounceTest, ScrubberReportsCorruptShardsInStatsAndHeartbeats) {
  ASSERT_OK_AND_ASSIGN(auto server, fake_.Serve("127.0.0.1:0"));
  // The first pass waits a full --scrub-interval no more: --scrub-first-delay.
  StartDaemon(server->address(),
              {"--scrub-interval", "24h", "--scrub-first-delay", "1s"});
  const std::string data = PatternBytes(50000);
  ASSERT_TRUE(
      PutShard(daemon_->stub(), Token(GrantOperation::kPut, ShardKey(9), data), data).status.ok());
  const std::string gone = PatternBytes(20000, 5);
  ASSERT_TRUE(
      PutShard(daemon_->stub(), Token(GrantOperation::kPut, ShardKey(10), gone), gone).status.ok());
  // Flip a byte of one stored file and delete the other behind the daemon's back.
  std::string path, gone_path;
  for (const auto& [rel, size] : SnapshotTree(dir_.File("data"))) {
    if (rel.find(ShardKey(9) + ".") != std::string::npos) path = dir_.File("data/" + rel);
    if (rel.find(ShardKey(10) + ".") != std::string::npos) gone_path = dir_.File("data/" + rel);
  }
  ASSERT_FALSE(path.empty());
  ASSERT_FALSE(gone_path.empty());
  ASSERT_EQ(::unlink(gone_path.c_str()), 0);
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const char flipped = static_cast<char>(data[777] ^ 0x40);
  ASSERT_EQ(::pwrite(fd, &flipped, 1, 777), 1);
  ::close(fd);

  ASSERT_TRUE(fake_.WaitFor([&](const FakeCoordinator& f) {
    const auto keys = f.corrupt_keys_reported();
    return std::find(keys.begin(), keys.end(), ShardKey(9)) != keys.end() &&
           std::find(keys.begin(), keys.end(), ShardKey(10)) != keys.end();
  }));
  grpc::ClientContext context;
  v1::NodeStatsResponse stats;
  ASSERT_TRUE(daemon_->stub().NodeStats(&context, v1::NodeStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.corrupt_shards(), 2u);  // the unreadable one counts too
  GetResult got = GetShard(daemon_->stub(), Token(GrantOperation::kGet, ShardKey(9)));
  EXPECT_EQ(got.status.error_code(), grpc::StatusCode::DATA_LOSS);
  // Reported once, not in every heartbeat.
  const int beats = fake_.heartbeats();
  ASSERT_TRUE(fake_.WaitFor([&](const FakeCoordinator& f) { return f.heartbeats() >= beats + 2; }));
  const auto keys = fake_.corrupt_keys_reported();
  EXPECT_EQ(std::count(keys.begin(), keys.end(), ShardKey(9)), 1);
}

}  // namespace
}  // namespace freehold::storaged
