// Usage figures for the funding monitor over real PostgreSQL: stored bytes,
// raw capacity of up nodes, and per-account bytes committed in the recent
// window (heaviest first), through StoreUsageSource.
#include <gtest/gtest.h>

#include "coordinator/core/usage_source.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

class FundingUsageTest : public CoordinatorPgTest {};

TEST_F(FundingUsageTest, RecentWritesArePerAccountInTheWindowHeaviestFirst) {
  std::vector<TestNode> nodes = AddNodes(6);
  Caller heavy = NewAccount();
  Caller small = NewAccount();
  const uint64_t seg = config_.segment_size_bytes;  // 64 KiB

  // Before the window: 3 segments by the small account (old news).
  ASSERT_OK(UploadObject(small, 3 * seg).status());
  clock_.Advance(absl::Hours(2));
  for (const TestNode& n : nodes) ASSERT_OK(Heartbeat(n).status());
  const absl::Time window_start = clock_.Now() - absl::Minutes(30);
  // In the window: 2.5 segments by heavy, one short segment by small.
  ASSERT_OK(UploadObject(heavy, 2 * seg + seg / 2).status());
  ASSERT_OK(UploadObject(small, 1000).status());
  // A segment begun but never committed is not a write yet.
  ASSERT_OK(BeginFirstSegment(heavy, 5 * seg).status());

  StoreUsageSource source(*store_);
  ASSERT_OK_AND_ASSIGN(UsageFigures f, source.Read(window_start));
  ASSERT_EQ(f.recent.size(), 2u);
  EXPECT_EQ(f.recent[0].account, heavy.account_id);
  EXPECT_EQ(f.recent[0].bytes, 2 * seg + seg / 2);
  EXPECT_EQ(f.recent[1].account, small.account_id);
  EXPECT_EQ(f.recent[1].bytes, 1000u);

  // Committed objects only: 3 seg + 2.5 seg + 1000 bytes; raw with 4+2 coding.
  EXPECT_EQ(f.logical_bytes, 3 * seg + 2 * seg + seg / 2 + 1000);
  EXPECT_GT(f.raw_bytes, f.logical_bytes * 3 / 2 - 1);
  EXPECT_EQ(f.physical_raw_capacity_bytes, 6 * (uint64_t{1} << 40));

  // Everything is recent with a window reaching back far enough.
  ASSERT_OK_AND_ASSIGN(UsageFigures all, source.Read(clock_.Now() - absl::Hours(3)));
  ASSERT_EQ(all.recent.size(), 2u);
  EXPECT_EQ(all.recent[0].account, small.account_id);
  EXPECT_EQ(all.recent[0].bytes, 3 * seg + 1000);
}

TEST_F(FundingUsageTest, DrainingAndRetiredNodesDoNotCountAsPhysicalCapacity) {
  std::vector<TestNode> nodes = AddNodes(3);
  StoreUsageSource source(*store_);
  ASSERT_OK_AND_ASSIGN(UsageFigures before, source.Read(clock_.Now()));
  EXPECT_EQ(before.physical_raw_capacity_bytes, 3 * (uint64_t{1} << 40));
  ASSERT_OK(registry_->SetState(nodes[0].id, NodeState::kDraining));
  ASSERT_OK_AND_ASSIGN(UsageFigures after, source.Read(clock_.Now()));
  EXPECT_EQ(after.physical_raw_capacity_bytes, 2 * (uint64_t{1} << 40));
  ASSERT_OK(registry_->SetState(nodes[1].id, NodeState::kRetired));
  ASSERT_OK_AND_ASSIGN(UsageFigures retired, source.Read(clock_.Now()));
  EXPECT_EQ(retired.physical_raw_capacity_bytes, uint64_t{1} << 40);
  EXPECT_TRUE(after.recent.empty());
  EXPECT_EQ(after.logical_bytes, 0u);
}

}  // namespace
}  // namespace freehold::coordinator::testing
