// Stable shard positions: nodes that stay keep their shard index.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coordinator/placement/placement_map.h"
#include "tests/placement/test_maps.h"
#include "tests/support/status_matchers.h"

namespace freehold::placement {
namespace {

using freehold::testing::StatusIs;
using testing::Cluster;
using testing::Policy;

TEST(StablePositionsTest, JoiningNodeTakesTheIndexOfTheNodeThatLeft) {
  ASSERT_OK_AND_ASSIGN(PlacementMap before, PlacementMap::Build(Cluster(20, 3), Policy()));
  ASSERT_OK_AND_ASSIGN(PlacementMap after, PlacementMap::Build(Cluster(21, 3), Policy()));
  int moved_by_position = 0, moved_by_set = 0;
  for (int s = 0; s < 10000; ++s) {
    const SegmentKey key = SegmentKey::FromUint64(s);
    const std::vector<std::string> old = before.PlaceIds(key).value();
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> now, after.ReassignShards(key, old));
    // Same set as a fresh placement.
    std::vector<std::string> fresh = after.PlaceIds(key).value();
    std::vector<std::string> sorted_now = now;
    std::sort(fresh.begin(), fresh.end());
    std::sort(sorted_now.begin(), sorted_now.end());
    ASSERT_EQ(sorted_now, fresh);
    int changed = 0;
    for (int i = 0; i < 6; ++i) {
      if (old[i] != now[i]) {
        ++changed;
        EXPECT_TRUE(now[i].starts_with("n20-")) << now[i];
      }
    }
    EXPECT_LE(changed, 1);
    moved_by_position += changed;
    for (const std::string& id : old) {
      moved_by_set += std::find(now.begin(), now.end(), id) == now.end();
    }
  }
  EXPECT_EQ(moved_by_position, moved_by_set);
  EXPECT_GT(moved_by_set, 0);
}

TEST(StablePositionsTest, FillsVacantShardsAndKeepsTheRest) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(10, 2), Policy()));
  const SegmentKey key = SegmentKey::FromUint64(77);
  const std::vector<std::string> placed = map.PlaceIds(key).value();
  // Rotate the positions and vacate two: survivors keep their rotated index.
  std::vector<std::string> previous = {placed[5], "", placed[1], placed[2], "", placed[4]};
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> now, map.ReassignShards(key, previous));
  EXPECT_EQ(now[0], placed[5]);
  EXPECT_EQ(now[2], placed[1]);
  EXPECT_EQ(now[3], placed[2]);
  EXPECT_EQ(now[5], placed[4]);
  // The two entering nodes fill the vacant indices in rank order.
  EXPECT_EQ(now[1], placed[0]);
  EXPECT_EQ(now[4], placed[3]);
}

TEST(StablePositionsTest, NodesFromAnotherMapAreReplacedInPlace) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(10, 2), Policy()));
  const SegmentKey key = SegmentKey::FromUint64(5);
  std::vector<std::string> previous = map.PlaceIds(key).value();
  const std::string kept = previous[3];
  previous[3] = "gone-node";
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> now, map.ReassignShards(key, previous));
  EXPECT_EQ(now[3], kept);
}

TEST(StablePositionsTest, RejectsAPreviousAssignmentOfTheWrongSize) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(10, 2), Policy()));
  const std::vector<std::string> previous = {"a", "b"};
  EXPECT_THAT(map.ReassignShards(SegmentKey::FromUint64(1), previous),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("k+m = 6")));
}

}  // namespace
}  // namespace freehold::placement
