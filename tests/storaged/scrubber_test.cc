// Scrubber: when the first pass starts, and shards it cannot open or read.
#include "services/storaged/core/scrubber.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using namespace ::freehold::storaged::testing;  // NOLINT

class ScrubberTest : public ::testing::Test {
 protected:
  ScrubberTest() : metrics_(registry_) {
    ShardStoreOptions options;
    options.data_dir = dir_.path();
    store_ = *ShardStore::Open(options, &metrics_, Logger("test", LogLevel::kError));
  }

  void Put(const std::string& key, const std::string& data) {
    absl::StatusOr<PutStart> start = store_->BeginPut(key, data.size(), Sha256Of(data));
    ASSERT_TRUE(start.ok()) << start.status();
    ASSERT_NE(start->writer, nullptr) << "already present";
    ASSERT_TRUE(start->writer->Append(data).ok());
    ASSERT_TRUE(start->writer->Commit().ok());
  }

  freehold::testing::TempDir dir_;
  prometheus::Registry registry_;
  StoragedMetrics metrics_;
  std::unique_ptr<ShardStore> store_;
};

TEST_F(ScrubberTest, FirstPassStartsSoonAfterStartNotAfterAFullInterval) {
  Put(ShardKey(1), PatternBytes(1000));
  ScrubberOptions options;
  options.interval = absl::Hours(24);
  options.first_pass_delay = absl::Milliseconds(20);
  options.bytes_per_second = 0;
  Scrubber scrubber(*store_, options, nullptr, Logger("test", LogLevel::kError));
  scrubber.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (scrubber.passes_completed() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(scrubber.passes_completed(), 1u);
  scrubber.Stop();  // the second pass waits the full interval: Stop interrupts it
  EXPECT_EQ(scrubber.passes_completed(), 1u);
}

TEST_F(ScrubberTest, DefaultFirstPassDelayIsShortAndNotTheInterval) {
  const ScrubberOptions options;
  EXPECT_LE(options.first_pass_delay, absl::Minutes(5));
  EXPECT_LT(options.first_pass_delay, options.interval);
}

TEST_F(ScrubberTest, ShardFileThatCannotBeOpenedCountsAsCorruptAndIsReported) {
  const std::string kept = PatternBytes(5000, 1);
  const std::string lost = PatternBytes(5000, 2);
  Put(ShardKey(1), kept);
  Put(ShardKey(2), lost);
  // The file disappears behind the daemon's back (a replaced disk, a stray rm).
  ASSERT_EQ(::unlink(store_->ShardPath(ShardKey(2), Sha256Of(lost), false).c_str()), 0);

  Scrubber scrubber(*store_, {absl::Hours(1), 0}, &metrics_, Logger("test", LogLevel::kError));
  ScrubPass pass = scrubber.ScrubOnce();
  EXPECT_EQ(pass.newly_corrupt, 1u);
  EXPECT_EQ(pass.unreadable, 1u);
  EXPECT_EQ(store_->Stats().corrupt_count, 1u);
  EXPECT_EQ(metrics_.unreadable_shards.Value(), 1.0);
  EXPECT_EQ(metrics_.corrupt_shards.Value(), 1.0);
  // Reported to the coordinator like a hash mismatch: the next heartbeat carries it.
  EXPECT_THAT(store_->TakeNewlyCorrupt(), ::testing::ElementsAre(ShardKey(2)));
  EXPECT_EQ(store_->Open(ShardKey(2)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(store_->Open(ShardKey(1)).ok());

  pass = scrubber.ScrubOnce();  // not reported twice
  EXPECT_EQ(pass.newly_corrupt, 0u);
  EXPECT_TRUE(store_->TakeNewlyCorrupt().empty());
  // A repair may store the shard again under the same key.
  Put(ShardKey(2), lost);
  EXPECT_EQ(store_->Stats().corrupt_count, 0u);
  EXPECT_TRUE(store_->Open(ShardKey(2)).ok());
}

}  // namespace
}  // namespace freehold::storaged
