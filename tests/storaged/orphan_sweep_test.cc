// OrphanSweeper: deletes stored shards absent from the coordinator's Bloom filter
// once they are older than the grace period, only within the requested key range,
// and refuses bad requests without touching the disk.
#include "services/storaged/core/orphan_sweep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <sodium.h>

#include "common/bloom_filter.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

constexpr char kNode[] = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

class OrphanSweepTest : public ::testing::Test {
 protected:
  OrphanSweepTest() : clock_(absl::Now()), metrics_(registry_) {
    EXPECT_GE(sodium_init(), 0);
    ShardStoreOptions options;
    options.data_dir = dir_.path();
    store_ = *ShardStore::Open(options, &metrics_, Logger("test", LogLevel::kError));
    sweeper_ = std::make_unique<OrphanSweeper>(*store_, kNode, clock_, absl::Hours(3), &metrics_,
                                               Logger("test", LogLevel::kError));
  }

  void Put(const std::string& key, const std::string& data) {
    absl::StatusOr<PutStart> start = store_->BeginPut(key, data.size(), Sha256Of(data));
    ASSERT_TRUE(start.ok()) << start.status();
    ASSERT_NE(start->writer, nullptr) << "already present";
    ASSERT_TRUE(start->writer->Append(data).ok());
    ASSERT_TRUE(start->writer->Commit().ok());
  }

  OrphanSweepRequest Request(const std::vector<std::string>& referenced) {
    BloomFilter filter = BloomFilter::ForCapacity(referenced.size(), 1e-3, BloomFilter::NewKey());
    for (const std::string& key : referenced) filter.Add(key);
    OrphanSweepRequest request;
    request.node_id = kNode;
    request.filter_bits = filter.bits();
    request.filter_hash_count = filter.hash_count();
    request.filter_hash_key = filter.key();
    return request;
  }

  freehold::testing::TempDir dir_;
  FakeClock clock_;
  prometheus::Registry registry_;
  StoragedMetrics metrics_;
  std::unique_ptr<ShardStore> store_;
  std::unique_ptr<OrphanSweeper> sweeper_;
};

TEST_F(OrphanSweepTest, DeletesOldUnreferencedShardsAndKeepsTheRest) {
  for (int i = 1; i <= 20; ++i) Put(ShardKey(i), PatternBytes(100, i));
  std::vector<std::string> referenced;
  for (int i = 1; i <= 20; i += 2) referenced.push_back(ShardKey(i));

  // Younger than the grace period: nothing is deleted.
  ASSERT_OK_AND_ASSIGN(OrphanSweepResult young, sweeper_->Sweep(Request(referenced)));
  EXPECT_EQ(young.examined, 20u);
  EXPECT_EQ(young.deleted, 0u);
  EXPECT_EQ(young.kept_young, 10u);

  clock_.Advance(absl::Hours(3) + absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(OrphanSweepResult old, sweeper_->Sweep(Request(referenced)));
  EXPECT_EQ(old.examined, 20u);
  EXPECT_GE(old.referenced, 10u);
  // A false positive (rate 1e-3) may spare one; a fresh key next time catches it.
  EXPECT_GE(old.deleted, 9u);
  EXPECT_EQ(old.deleted + old.referenced, 20u);
  for (const std::string& key : referenced) EXPECT_TRUE(store_->Find(key).has_value()) << key;
  ASSERT_OK_AND_ASSIGN(OrphanSweepResult again, sweeper_->Sweep(Request(referenced)));
  EXPECT_EQ(again.examined + old.deleted, 20u);
  EXPECT_EQ(store_->Stats().shard_count, 10u);
  EXPECT_EQ(metrics_.orphans_deleted.Value(), 10.0);
  EXPECT_EQ(metrics_.orphan_bytes_deleted.Value(), 1000.0);
}

TEST_F(OrphanSweepTest, OnlyTheRequestedRangeIsSwept) {
  // ShardKey(n) starts with n as 32 hex digits, so keys sort by n.
  for (int i = 1; i <= 6; ++i) Put(ShardKey(i), PatternBytes(10, i));
  clock_.Advance(absl::Hours(4));
  OrphanSweepRequest request = Request({});
  request.range_start = ShardKey(2).substr(0, 32);  // from object 2 ...
  request.range_end = ShardKey(5).substr(0, 32);    // ... up to (not including) object 5
  ASSERT_OK_AND_ASSIGN(OrphanSweepResult result, sweeper_->Sweep(request));
  EXPECT_EQ(result.examined, 3u);
  EXPECT_EQ(result.deleted, 3u);
  for (int i : {1, 5, 6}) EXPECT_TRUE(store_->Find(ShardKey(i)).has_value()) << i;
  for (int i : {2, 3, 4}) EXPECT_FALSE(store_->Find(ShardKey(i)).has_value()) << i;
  // A bound equal to a whole key includes that key.
  request.range_start = ShardKey(5);
  request.range_end = "";
  ASSERT_OK_AND_ASSIGN(result, sweeper_->Sweep(request));
  EXPECT_EQ(result.deleted, 2u);
}

TEST_F(OrphanSweepTest, BadRequestsAreRefusedAndDeleteNothing) {
  Put(ShardKey(1), PatternBytes(10));
  clock_.Advance(absl::Hours(4));
  OrphanSweepRequest other_node = Request({});
  other_node.node_id = "another-node";
  EXPECT_THAT(sweeper_->Sweep(other_node),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("another node")));
  OrphanSweepRequest no_bits = Request({});
  no_bits.filter_bits.clear();
  EXPECT_THAT(sweeper_->Sweep(no_bits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.bits is empty")));
  OrphanSweepRequest bad_key = Request({});
  bad_key.filter_hash_key = "x";
  EXPECT_THAT(sweeper_->Sweep(bad_key),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.hash_key")));
  OrphanSweepRequest no_k = Request({});
  no_k.filter_hash_count = 0;
  EXPECT_THAT(sweeper_->Sweep(no_k),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.hash_count")));
  OrphanSweepRequest backwards = Request({});
  backwards.range_start = "b";
  backwards.range_end = "a";
  EXPECT_THAT(sweeper_->Sweep(backwards),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("range_end 'a' is not after")));
  OrphanSweepRequest junk = Request({});
  junk.range_start = "../x";
  EXPECT_THAT(sweeper_->Sweep(junk),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("range_start")));
  EXPECT_TRUE(store_->Find(ShardKey(1)).has_value());
  EXPECT_EQ(metrics_.orphans_deleted.Value(), 0.0);
}

TEST_F(OrphanSweepTest, ShardsFoundAtOpenAreAgedByTheirFileTime) {
  Put(ShardKey(1), PatternBytes(10));
  store_.reset();  // restart: the scan dates shards by their files' mtime
  ShardStoreOptions options;
  options.data_dir = dir_.path();
  store_ = *ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError));
  const std::optional<StoredShard> found = store_->Find(ShardKey(1));
  ASSERT_TRUE(found.has_value());
  EXPECT_LT(absl::AbsDuration(found->stored_at - absl::Now()), absl::Minutes(1));
  OrphanSweeper sweeper(*store_, kNode, clock_, absl::Hours(3), nullptr,
                        Logger("test", LogLevel::kError));
  ASSERT_OK_AND_ASSIGN(OrphanSweepResult result, sweeper.Sweep(Request({})));
  EXPECT_EQ(result.kept_young, 1u);
}

}  // namespace
}  // namespace freehold::storaged
