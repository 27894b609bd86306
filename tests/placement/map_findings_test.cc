// Operator findings about maps that cannot fill evenly.
#include "coordinator/placement/map_findings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "tests/placement/test_maps.h"
#include "tests/support/status_matchers.h"

namespace freehold::placement {
namespace {

using testing::Cluster;
using ::testing::HasSubstr;
using testing::kTB;
using testing::Policy;

TEST(MapFindingsTest, HealthyMapHasNoFindings) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(20, 3), Policy()));
  EXPECT_THAT(FindMapProblems(map), ::testing::IsEmpty());
}

TEST(MapFindingsTest, ReportsAHostHoldingMoreThanItsShareOfASegment) {
  std::vector<NodeInfo> nodes = Cluster(10, 1, 1 * kTB);
  nodes[4].capacity_bytes = 3 * kTB;  // 3/12 = 25% > 1/6
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(nodes, Policy()));
  const std::vector<MapFinding> findings = FindMapProblems(map);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, MapFinding::Kind::kDomainOverShare);
  EXPECT_EQ(findings[0].subject, "r1/z0/h4");
  EXPECT_THAT(findings[0].message, HasSubstr("25.00% of capacity"));
  EXPECT_THAT(findings[0].message, HasSubstr("16.67%"));
  EXPECT_FALSE(map.correction().feasible);
}

TEST(MapFindingsTest, ReportsTooFewFailureDomains) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(4, 3), Policy()));
  const std::vector<MapFinding> findings = FindMapProblems(map);
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].kind, MapFinding::Kind::kTooFewFailureDomains);
  EXPECT_THAT(findings[0].message, HasSubstr("only 4 eligible host"));
}

TEST(MapFindingsTest, ReportsAZoneOverItsCap) {
  PlacementPolicy policy = Policy();
  policy.max_shards_per_zone = 2;
  std::vector<NodeInfo> nodes = Cluster(12, 1, 1 * kTB, /*zones=*/4);
  for (NodeInfo& n : nodes) {
    if (n.zone == "z0") n.capacity_bytes = 2 * kTB;  // z0: 6 of 15 TB = 40% > 2/6
  }
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(nodes, policy));
  const std::vector<MapFinding> findings = FindMapProblems(map);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, MapFinding::Kind::kZoneOverCap);
  EXPECT_EQ(findings[0].subject, "r1/z0");
}

}  // namespace
}  // namespace freehold::placement
