// StorageNode uploads under their grants: one upload per shard key at a time, and
// an upload that outlives its grant is ended with nothing left on disk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.h"
#include "services/storaged/core/expiry_watch.h"
#include "services/storaged/core/storage_node.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

constexpr char kNode[] = "0c9f4a1e-7d2b-4f61-8a3e-5b6c7d8e9f01";

class UploadGrantsTest : public ::testing::Test {
 protected:
  UploadGrantsTest()
      : coordinator_(NewKey("coord")),
        ring_({coordinator_.public_key()}),
        grants_(ring_, kNode, clock_, 64 << 20),
        node_key_(NewKey(kNode)),
        receipts_(node_key_) {
    ShardStoreOptions options;
    options.data_dir = dir_.path();
    store_ = *ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError));
    node_ = std::make_unique<StorageNode>(*store_, grants_, receipts_, clock_, nullptr);
  }

  std::string PutToken(const std::string& key, std::string_view data, absl::Duration ttl) {
    return SignGrant(coordinator_,
                     MakeGrant(GrantOperation::kPut, kNode, key, data, clock_.Now() + ttl));
  }

  size_t TempFiles() const {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() + "/tmp")) {
      (void)entry;
      ++n;
    }
    return n;
  }

  freehold::testing::TempDir dir_;
  FakeClock clock_;
  TokenSigner coordinator_;
  CoordinatorKeyRing ring_;
  GrantChecker grants_;
  SigningKey node_key_;
  ReceiptSigner receipts_;
  std::unique_ptr<ShardStore> store_;
  std::unique_ptr<StorageNode> node_;
};

TEST_F(UploadGrantsTest, SecondConcurrentUploadOfTheSameShardKeyIsRefused) {
  const std::string data = PatternBytes(100000);
  const std::string token = PutToken(ShardKey(1), data, absl::Minutes(10));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ShardUpload> first, node_->BeginPut(token));
  ASSERT_OK(first->Append(std::string_view(data).substr(0, 5000)));

  // The same grant replayed on a parallel stream, and another grant for the same key.
  EXPECT_THAT(node_->BeginPut(token),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("another PutShard of shard " + ShardKey(1) + " is in progress")));
  EXPECT_THAT(node_->BeginPut(PutToken(ShardKey(1), data, absl::Minutes(5))),
              StatusIs(absl::StatusCode::kAborted));
  // Other keys are not held up.
  const std::string other = PatternBytes(10, 3);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ShardUpload> unrelated,
                       node_->BeginPut(PutToken(ShardKey(2), other, absl::Minutes(10))));
  EXPECT_EQ(node_->uploads_in_progress(), 2u);

  // The first upload completes normally.
  ASSERT_OK(first->Append(std::string_view(data).substr(5000)));
  ASSERT_OK_AND_ASSIGN(ShardUpload::Result result, first->Finish());
  EXPECT_FALSE(result.already_present);
  first.reset();
  EXPECT_EQ(store_->Find(ShardKey(1))->size_bytes, data.size());

  // Once the first stream is gone the key may be uploaded again (an idempotent retry).
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ShardUpload> retry, node_->BeginPut(token));
  ASSERT_OK(retry->Append(data));
  ASSERT_OK_AND_ASSIGN(result, retry->Finish());
  EXPECT_TRUE(result.already_present);
}

TEST_F(UploadGrantsTest, RefusedStartReleasesTheKey) {
  const std::string data = PatternBytes(1000);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ShardUpload> first,
                       node_->BeginPut(PutToken(ShardKey(1), data, absl::Minutes(10))));
  ASSERT_OK(first->Append(data));
  ASSERT_OK(first->Finish().status());
  first.reset();
  // ALREADY_EXISTS (other bytes under the key) must not leave the key claimed.
  const std::string other = PatternBytes(1000, 9);
  EXPECT_THAT(node_->BeginPut(PutToken(ShardKey(1), other, absl::Minutes(10))),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(node_->uploads_in_progress(), 0u);
}

TEST_F(UploadGrantsTest, UploadEndsWhenItsGrantExpiresMidStreamAndLeavesNothing) {
  const std::string data = PatternBytes(200000);
  const absl::Time expires = clock_.Now() + absl::Seconds(30);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ShardUpload> upload,
                       node_->BeginPut(PutToken(ShardKey(1), data, absl::Seconds(30))));
  ASSERT_OK(upload->Append(std::string_view(data).substr(0, 100000)));
  EXPECT_EQ(TempFiles(), 1u);

  clock_.Advance(absl::Seconds(31));
  const std::string expiry = absl::StrCat("grant expired at ", absl::ToUnixSeconds(expires));
  EXPECT_THAT(upload->Append(std::string_view(data).substr(100000)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr(expiry)));
  EXPECT_EQ(TempFiles(), 0u);  // removed at once, before the stream is torn down
  EXPECT_THAT(upload->Finish(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr(expiry)));
  EXPECT_FALSE(store_->Find(ShardKey(1)).has_value());
  upload.reset();
  EXPECT_EQ(node_->uploads_in_progress(), 0u);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(UploadGrantsTest, FinishAfterExpiryStoresNothing) {
  const std::string data = PatternBytes(5000);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ShardUpload> upload,
                       node_->BeginPut(PutToken(ShardKey(1), data, absl::Seconds(10))));
  ASSERT_OK(upload->Append(data));
  clock_.Advance(absl::Seconds(10));  // expires_at itself is already too late
  EXPECT_THAT(upload->Finish(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(store_->Find(ShardKey(1)).has_value());
  EXPECT_EQ(TempFiles(), 0u);
}

}  // namespace
}  // namespace freehold::storaged

namespace freehold::storaged {
namespace {

TEST(ExpiryWatchTest, CallsBackOnceAfterTheDeadlineUnlessTheHandleIsGone) {
  FakeClock clock(absl::Now());
  ExpiryWatch watch(clock, absl::Milliseconds(5));
  absl::Mutex mu;
  int fired = 0, dropped_fired = 0;
  auto first = watch.Watch(clock.Now() + absl::Seconds(10), [&] {
    absl::MutexLock lock(&mu);
    ++fired;
  });
  auto dropped = watch.Watch(clock.Now() + absl::Seconds(10), [&] {
    absl::MutexLock lock(&mu);
    ++dropped_fired;
  });
  EXPECT_EQ(watch.watched(), 2u);
  dropped.reset();
  absl::SleepFor(absl::Milliseconds(50));
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(fired, 0);
  }
  clock.Advance(absl::Seconds(10));
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (watch.watched() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  absl::SleepFor(absl::Milliseconds(30));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(dropped_fired, 0);
}

}  // namespace
}  // namespace freehold::storaged
