// Announcer against an in-memory fake coordinator client.
#include "services/storaged/core/announcer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

// Scripted answers; records every call. Thread-safe.
class FakeCoordinatorClient : public CoordinatorClient {
 public:
  absl::StatusOr<absl::Duration> Register(const NodeRegistration& registration) override {
    absl::MutexLock lock(&mu_);
    ++register_calls_;
    absl::Status s = absl::OkStatus();
    if (!register_answers_.empty()) {
      s = register_answers_.front();
      register_answers_.pop_front();
    }
    if (!s.ok()) return s;
    last_registration_ = registration;
    return asked_interval_;
  }
  absl::Status Heartbeat(const HeartbeatReport& report) override {
    absl::MutexLock lock(&mu_);
    ++heartbeat_calls_;
    absl::Status s = absl::OkStatus();
    if (!heartbeat_answers_.empty()) {
      s = heartbeat_answers_.front();
      heartbeat_answers_.pop_front();
    }
    if (s.ok()) accepted_.push_back(report);
    return s;
  }

  void ScriptRegister(absl::Status s) {
    absl::MutexLock lock(&mu_);
    register_answers_.push_back(s);
  }
  void ScriptHeartbeat(absl::Status s) {
    absl::MutexLock lock(&mu_);
    heartbeat_answers_.push_back(s);
  }
  // Waits (bounded) until `pred` holds under the lock.
  bool WaitFor(std::function<bool(const FakeCoordinatorClient&)> pred,
               absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      {
        absl::MutexLock lock(&mu_);
        if (pred(*this)) return true;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  mutable absl::Mutex mu_;
  std::deque<absl::Status> register_answers_;
  std::deque<absl::Status> heartbeat_answers_;
  int register_calls_ = 0;
  int heartbeat_calls_ = 0;
  absl::Duration asked_interval_ = absl::ZeroDuration();
  NodeRegistration last_registration_;
  std::vector<HeartbeatReport> accepted_;
};

class AnnouncerTest : public ::testing::Test {
 protected:
  AnnouncerTest() {
    ShardStoreOptions options;
    options.data_dir = dir_.path();
    store_ = *ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError));
    registration_.node_id = "node-1";
    registration_.address = "127.0.0.1:7400";
    registration_.version = "v";
  }
  AnnouncerOptions FastOptions() {
    AnnouncerOptions o;
    o.heartbeat_interval = absl::Milliseconds(20);
    o.initial_backoff = absl::Milliseconds(10);
    o.max_backoff = absl::Milliseconds(40);
    return o;
  }

  freehold::testing::TempDir dir_;
  std::unique_ptr<ShardStore> store_;
  NodeRegistration registration_;
  FakeCoordinatorClient client_;
};

TEST_F(AnnouncerTest, RegistersThenHeartbeatsWithUsage) {
  ASSERT_OK_AND_ASSIGN(PutStart put, store_->BeginPut("k1", 3, testing::Sha256Of("abc")));
  ASSERT_OK(put.writer->Append("abc"));
  ASSERT_OK(put.writer->Commit());
  Announcer announcer(client_, *store_, registration_, FastOptions(),
                      Logger("t", LogLevel::kError));
  announcer.Start();
  ASSERT_TRUE(client_.WaitFor([](const auto& c) { return c.accepted_.size() >= 3; }));
  announcer.Stop();
  absl::MutexLock lock(&client_.mu_);
  EXPECT_EQ(client_.register_calls_, 1);
  EXPECT_EQ(client_.last_registration_.address, "127.0.0.1:7400");
  EXPECT_EQ(client_.accepted_[0].node_id, "node-1");
  EXPECT_EQ(client_.accepted_[0].used_bytes, 3u);
  EXPECT_EQ(client_.accepted_[0].shard_count, 1u);
}

TEST_F(AnnouncerTest, RegistersAgainWhenTheCoordinatorForgetsTheNode) {
  client_.ScriptHeartbeat(absl::OkStatus());
  client_.ScriptHeartbeat(absl::NotFoundError("node is not registered"));
  Announcer announcer(client_, *store_, registration_, FastOptions(),
                      Logger("t", LogLevel::kError));
  announcer.Start();
  ASSERT_TRUE(client_.WaitFor(
      [](const auto& c) { return c.register_calls_ == 2 && c.accepted_.size() >= 2; }));
  announcer.Stop();
  EXPECT_EQ(announcer.registrations(), 2u);
}

TEST_F(AnnouncerTest, KeepsRetryingWhileTheCoordinatorIsUnreachable) {
  for (int i = 0; i < 4; ++i) client_.ScriptRegister(absl::UnavailableError("connection refused"));
  Announcer announcer(client_, *store_, registration_, FastOptions(),
                      Logger("t", LogLevel::kError));
  announcer.Start();
  ASSERT_TRUE(client_.WaitFor([](const auto& c) { return !c.accepted_.empty(); }));
  announcer.Stop();
  absl::MutexLock lock(&client_.mu_);
  EXPECT_EQ(client_.register_calls_, 5);
}

TEST_F(AnnouncerTest, CorruptKeysAreRedeliveredAfterAFailedHeartbeat) {
  ASSERT_OK_AND_ASSIGN(PutStart put, store_->BeginPut("k1", 3, testing::Sha256Of("abc")));
  ASSERT_OK(put.writer->Append("abc"));
  ASSERT_OK(put.writer->Commit());
  ASSERT_OK_AND_ASSIGN(auto reader, store_->Open("k1"));
  ASSERT_TRUE(store_->MarkCorrupt("k1", reader->generation()));
  client_.ScriptHeartbeat(absl::UnavailableError("down"));
  Announcer announcer(client_, *store_, registration_, FastOptions(),
                      Logger("t", LogLevel::kError));
  announcer.Start();
  ASSERT_TRUE(client_.WaitFor([](const auto& c) { return c.accepted_.size() >= 2; }));
  announcer.Stop();
  absl::MutexLock lock(&client_.mu_);
  EXPECT_EQ(client_.heartbeat_calls_, static_cast<int>(client_.accepted_.size()) + 1);
  EXPECT_THAT(client_.accepted_[0].corrupt_shard_keys, ::testing::ElementsAre("k1"));
  EXPECT_TRUE(client_.accepted_[1].corrupt_shard_keys.empty());
}

TEST_F(AnnouncerTest, UsesTheShorterOfItsOwnAndTheCoordinatorsInterval) {
  client_.asked_interval_ = absl::Milliseconds(10);
  AnnouncerOptions options = FastOptions();
  options.heartbeat_interval = absl::Hours(1);
  Announcer announcer(client_, *store_, registration_, options, Logger("t", LogLevel::kError));
  announcer.Start();
  EXPECT_TRUE(client_.WaitFor([](const auto& c) { return c.accepted_.size() >= 3; }));
  announcer.Stop();
}

TEST(AnnouncerBackoffTest, DoublesUpToTheCap) {
  AnnouncerOptions o;
  o.initial_backoff = absl::Milliseconds(200);
  o.max_backoff = absl::Seconds(1);
  EXPECT_EQ(Announcer::Backoff(1, o), absl::Milliseconds(200));
  EXPECT_EQ(Announcer::Backoff(2, o), absl::Milliseconds(400));
  EXPECT_EQ(Announcer::Backoff(3, o), absl::Milliseconds(800));
  EXPECT_EQ(Announcer::Backoff(4, o), absl::Seconds(1));
  EXPECT_EQ(Announcer::Backoff(100, o), absl::Seconds(1));
}

TEST(AnnouncerStopTest, StopInterruptsALongWait) {
  freehold::testing::TempDir dir;
  ShardStoreOptions options;
  options.data_dir = dir.path();
  auto store = *ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError));
  FakeCoordinatorClient client;
  AnnouncerOptions o;
  o.heartbeat_interval = absl::Hours(1);
  Announcer announcer(client, *store, NodeRegistration{}, o, Logger("t", LogLevel::kError));
  announcer.Start();
  ASSERT_TRUE(client.WaitFor([](const auto& c) { return c.accepted_.size() == 1; }));
  const absl::Time start = absl::Now();
  announcer.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace freehold::storaged
