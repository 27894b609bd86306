// PlacementMap: failure domains, eligibility, errors, determinism, movement.
#include "coordinator/placement/placement_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/placement/test_maps.h"
#include "tests/support/status_matchers.h"

namespace freehold::placement {
namespace {

using freehold::testing::StatusIs;
using testing::Cluster;
using ::testing::HasSubstr;
using testing::kTB;
using testing::Policy;

std::set<std::string> Hosts(const PlacementMap& map, const std::vector<int>& placed) {
  std::set<std::string> hosts;
  for (int i : placed) hosts.insert(map.node(i).host);
  return hosts;
}

TEST(PlacementMapTest, PlacesEachShardInADistinctHost) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(8, 3), Policy()));
  for (uint64_t s = 0; s < 3000; ++s) {
    ASSERT_OK_AND_ASSIGN(std::vector<int> placed, map.Place(SegmentKey::FromUint64(s)));
    ASSERT_EQ(placed.size(), 6u);
    EXPECT_EQ(Hosts(map, placed).size(), 6u) << "segment " << s;
  }
}

TEST(PlacementMapTest, PlacesEachShardInADistinctZoneAtZoneLevel) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map,
                       PlacementMap::Build(Cluster(16, 2, 4 * kTB, /*zones=*/8),
                                           Policy(4, 2, FailureDomainLevel::kZone)));
  EXPECT_EQ(map.eligible_domain_count(), 8);
  for (uint64_t s = 0; s < 2000; ++s) {
    ASSERT_OK_AND_ASSIGN(std::vector<int> placed, map.Place(SegmentKey::FromUint64(s)));
    std::set<std::string> zones;
    for (int i : placed) zones.insert(map.node(i).zone);
    EXPECT_EQ(zones.size(), 6u);
  }
}

TEST(PlacementMapTest, RespectsThePerZoneCap) {
  PlacementPolicy policy = Policy();
  policy.max_shards_per_zone = 2;
  ASSERT_OK_AND_ASSIGN(PlacementMap map,
                       PlacementMap::Build(Cluster(12, 2, 4 * kTB, /*zones=*/3), policy));
  for (uint64_t s = 0; s < 2000; ++s) {
    ASSERT_OK_AND_ASSIGN(std::vector<int> placed, map.Place(SegmentKey::FromUint64(s)));
    std::map<std::string, int> per_zone;
    for (int i : placed) ++per_zone[map.node(i).zone];
    for (const auto& [zone, count] : per_zone) EXPECT_LE(count, 2) << zone;
    EXPECT_EQ(Hosts(map, placed).size(), 6u);
  }
}

TEST(PlacementMapTest, SkipsDownDrainingRetiredAndNearlyFullNodes) {
  std::vector<NodeInfo> nodes = Cluster(10, 2);
  nodes[0].state = NodeState::kDown;
  nodes[3].state = NodeState::kDraining;
  nodes[6].state = NodeState::kRetired;
  nodes[9].used_bytes = nodes[9].capacity_bytes * 96 / 100;  // over the 0.95 default
  const std::set<std::string> skipped = {nodes[0].id, nodes[3].id, nodes[6].id, nodes[9].id};
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(nodes, Policy()));
  for (uint64_t s = 0; s < 3000; ++s) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids, map.PlaceIds(SegmentKey::FromUint64(s)));
    for (const std::string& id : ids) EXPECT_FALSE(skipped.contains(id)) << id;
  }
}

TEST(PlacementMapTest, NearlyFullThresholdIsConfigurable) {
  std::vector<NodeInfo> nodes = Cluster(7, 1);
  nodes[0].used_bytes = nodes[0].capacity_bytes * 9 / 10;
  PlacementPolicy lenient = Policy();
  lenient.nearly_full_ratio = 0.95;
  PlacementPolicy strict = Policy();
  strict.nearly_full_ratio = 0.9;
  ASSERT_OK_AND_ASSIGN(PlacementMap a, PlacementMap::Build(nodes, lenient));
  ASSERT_OK_AND_ASSIGN(PlacementMap b, PlacementMap::Build(nodes, strict));
  EXPECT_TRUE(a.IsEligible(0));
  EXPECT_FALSE(b.IsEligible(0));
  EXPECT_EQ(b.eligible_domain_count(), 6);
}

TEST(PlacementMapTest, FailsPreconditionNamingDomainCountsWhenTooFewEligible) {
  std::vector<NodeInfo> nodes = Cluster(7, 3);
  for (int i = 0; i < 6; ++i) nodes[i].state = NodeState::kDown;  // hosts 0 and 1
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(nodes, Policy()));
  EXPECT_THAT(map.Place(SegmentKey::FromUint64(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::AllOf(HasSubstr("needs 6"), HasSubstr("only 5 eligible host"))));
  PlacementPolicy capped = Policy();
  capped.max_shards_per_zone = 1;
  ASSERT_OK_AND_ASSIGN(PlacementMap zoned,
                       PlacementMap::Build(Cluster(12, 1, 4 * kTB, /*zones=*/4), capped));
  EXPECT_THAT(zoned.Place(SegmentKey::FromUint64(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("leaves 4 usable")));
}

TEST(PlacementMapTest, RejectsInvalidMapsAndPolicies) {
  std::vector<NodeInfo> dup = Cluster(7, 1);
  dup[1].id = dup[0].id;
  EXPECT_THAT(PlacementMap::Build(dup, Policy()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate node id")));
  std::vector<NodeInfo> empty = Cluster(7, 1);
  empty[2].id.clear();
  EXPECT_THAT(PlacementMap::Build(empty, Policy()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty id")));
  std::vector<NodeInfo> zero = Cluster(7, 1);
  zero[3].capacity_bytes = 0;
  EXPECT_THAT(PlacementMap::Build(zero, Policy()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("capacity_bytes 0")));
  EXPECT_THAT(PlacementMap::Build(Cluster(7, 1), Policy(0, 2)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("data_shards")));
  PlacementPolicy ratio = Policy();
  ratio.nearly_full_ratio = 1.5;
  EXPECT_THAT(PlacementMap::Build(Cluster(7, 1), ratio),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nearly_full_ratio")));
}

TEST(PlacementMapTest, IsDeterministicAndIndependentOfInputOrder) {
  std::vector<NodeInfo> nodes = Cluster(20, 3);
  std::vector<NodeInfo> shuffled = nodes;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  ASSERT_OK_AND_ASSIGN(PlacementMap a, PlacementMap::Build(nodes, Policy()));
  ASSERT_OK_AND_ASSIGN(PlacementMap b, PlacementMap::Build(shuffled, Policy()));
  for (uint64_t s = 0; s < 2000; ++s) {
    EXPECT_EQ(a.PlaceIds(SegmentKey::FromUint64(s)).value(),
              b.PlaceIds(SegmentKey::FromUint64(s)).value());
  }
  // Pinned: placement is part of the stored-data contract; any change to the
  // hash, the log or the walk moves data in every existing cluster.
  EXPECT_THAT(a.PlaceIds(SegmentKey{0x0123456789abcdefULL, 42}).value(),
              ::testing::ElementsAre("n07-1", "n10-0", "n09-0", "n03-0", "n02-0", "n16-2"));
}

TEST(PlacementMapTest, ObjectSegmentKeysSpreadSegmentsOfOneObject) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(20, 3), Policy()));
  const uint8_t object[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const uint8_t other[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};
  std::set<std::vector<std::string>> sets;
  for (uint32_t index = 0; index < 50; ++index) {
    sets.insert(map.PlaceIds(SegmentKey::ForObjectSegment(object, index)).value());
  }
  EXPECT_GT(sets.size(), 45u);  // 38760 possible host sets: few collisions
  EXPECT_NE(map.PlaceIds(SegmentKey::ForObjectSegment(object, 0)).value(),
            map.PlaceIds(SegmentKey::ForObjectSegment(other, 0)).value());
}

// Minimal movement: compares each segment's set before and after a change.
struct Movement {
  int changed_segments = 0;
  int moved_shards = 0;
  bool only_expected_nodes = true;  // every removed/added node is `expected`
};

Movement Compare(const PlacementMap& before, const PlacementMap& after,
                 const std::set<std::string>& expected, int segments) {
  Movement m;
  for (int s = 0; s < segments; ++s) {
    const std::vector<std::string> a = before.PlaceIds(SegmentKey::FromUint64(s)).value();
    const std::vector<std::string> b = after.PlaceIds(SegmentKey::FromUint64(s)).value();
    const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
    int out = 0, in = 0;
    for (const std::string& id : sa) {
      if (sb.contains(id)) continue;
      ++out;
      if (!expected.empty() && expected.contains(id)) m.only_expected_nodes = false;
    }
    for (const std::string& id : sb) {
      if (sa.contains(id)) continue;
      ++in;
      if (!expected.empty() && !expected.contains(id)) m.only_expected_nodes = false;
    }
    if (out > 1 || in > 1) m.only_expected_nodes = false;
    m.changed_segments += out > 0;
    m.moved_shards += out;
  }
  return m;
}

TEST(PlacementMapTest, JoiningHostMovesShardsOnlyToItsNodes) {
  ASSERT_OK_AND_ASSIGN(PlacementMap before, PlacementMap::Build(Cluster(20, 3), Policy()));
  ASSERT_OK_AND_ASSIGN(PlacementMap after, PlacementMap::Build(Cluster(21, 3), Policy()));
  constexpr int kSegments = 20000;
  const Movement m = Compare(before, after, {"n20-0", "n20-1", "n20-2"}, kSegments);
  EXPECT_TRUE(m.only_expected_nodes);
  // Ideal: 3/63 of all shards; sd of the count ~0.9%.
  EXPECT_NEAR(m.moved_shards / (6.0 * kSegments) / (3.0 / 63.0), 1.0, 0.05);
}

TEST(PlacementMapTest, JoiningNodeMovesShardsOnlyToItAtNodeLevel) {
  const PlacementPolicy policy = Policy(4, 2, FailureDomainLevel::kNode);
  ASSERT_OK_AND_ASSIGN(PlacementMap before, PlacementMap::Build(Cluster(30, 1), policy));
  ASSERT_OK_AND_ASSIGN(PlacementMap after, PlacementMap::Build(Cluster(31, 1), policy));
  const Movement m = Compare(before, after, {"n30-0"}, 20000);
  EXPECT_TRUE(m.only_expected_nodes);
  EXPECT_NEAR(m.moved_shards / (6.0 * 20000) / (1.0 / 31.0), 1.0, 0.06);
}

TEST(PlacementMapTest, NodeGoingDownMovesOnlyItsShards) {
  std::vector<NodeInfo> nodes = Cluster(20, 3);
  ASSERT_OK_AND_ASSIGN(PlacementMap before, PlacementMap::Build(nodes, Policy()));
  nodes[7].state = NodeState::kDown;
  ASSERT_OK_AND_ASSIGN(PlacementMap after, PlacementMap::Build(nodes, Policy()));
  int holding = 0;
  for (int s = 0; s < 20000; ++s) {
    const std::vector<std::string> a = before.PlaceIds(SegmentKey::FromUint64(s)).value();
    const std::vector<std::string> b = after.PlaceIds(SegmentKey::FromUint64(s)).value();
    const bool had = std::find(a.begin(), a.end(), nodes[7].id) != a.end();
    holding += had;
    const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
    std::vector<std::string> lost;
    std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(lost));
    if (had) {
      EXPECT_THAT(lost, ::testing::ElementsAre(nodes[7].id)) << "segment " << s;
    } else {
      EXPECT_EQ(a, b) << "segment " << s;
    }
  }
  EXPECT_GT(holding, 1000);
}

TEST(PlacementMapTest, ReplacementForPicksWhatPlacementPicksAfterTheFailure) {
  std::vector<NodeInfo> nodes = Cluster(20, 3);
  ASSERT_OK_AND_ASSIGN(PlacementMap before, PlacementMap::Build(nodes, Policy()));
  nodes[10].state = NodeState::kDown;
  ASSERT_OK_AND_ASSIGN(PlacementMap after, PlacementMap::Build(nodes, Policy()));
  int checked = 0;
  for (int s = 0; s < 5000; ++s) {
    std::vector<std::string> current = before.PlaceIds(SegmentKey::FromUint64(s)).value();
    auto it = std::find(current.begin(), current.end(), nodes[10].id);
    if (it == current.end()) continue;
    current.erase(it);
    const std::vector<std::string> excluded = {nodes[10].id};
    ASSERT_OK_AND_ASSIGN(std::string replacement,
                         before.ReplacementFor(SegmentKey::FromUint64(s), current, excluded));
    std::vector<std::string> want = after.PlaceIds(SegmentKey::FromUint64(s)).value();
    current.push_back(replacement);
    std::sort(current.begin(), current.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(current, want) << "segment " << s;
    ++checked;
  }
  EXPECT_GT(checked, 200);
}

// Place() sorts only a likely-sufficient prefix; ReplacementFor() ranks every
// node. Building a set one ReplacementFor() at a time is the plain walk, so the
// two must agree, including maps where domain skipping exhausts the prefix.
TEST(PlacementMapTest, PlaceMatchesTheFullyRankedWalk) {
  std::vector<NodeInfo> weighted = Cluster(7, 30);
  for (size_t i = 0; i < weighted.size(); ++i) weighted[i].capacity_bytes = (1 + i % 5) * kTB;
  PlacementPolicy capped = Policy();
  capped.max_shards_per_zone = 2;
  struct Case {
    std::vector<NodeInfo> nodes;
    PlacementPolicy policy;
  };
  const std::vector<Case> cases = {
      {Cluster(7, 30), Policy()},            // uniform, prefix often exhausted
      {weighted, Policy()},                  // weighted path
      {Cluster(12, 4, 4 * kTB, 4), capped},  // zone cap
      {Cluster(40, 1), Policy(10, 4, FailureDomainLevel::kNode)},
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(cases[c].nodes, cases[c].policy));
    for (uint64_t s = 0; s < 300; ++s) {
      const SegmentKey key = SegmentKey::FromUint64(s);
      std::vector<std::string> walk;
      for (int i = 0; i < cases[c].policy.shard_count(); ++i) {
        ASSERT_OK_AND_ASSIGN(std::string next, map.ReplacementFor(key, walk, {}));
        walk.push_back(next);
      }
      EXPECT_EQ(map.PlaceIds(key).value(), walk) << "case " << c << " segment " << s;
    }
  }
}

TEST(PlacementMapTest, ReplacementForFailsWhenEveryDomainIsUsed) {
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(Cluster(6, 2), Policy()));
  const std::vector<std::string> current = map.PlaceIds(SegmentKey::FromUint64(3)).value();
  EXPECT_THAT(map.ReplacementFor(SegmentKey::FromUint64(3), current, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("unused host")));
}

}  // namespace
}  // namespace freehold::placement

namespace freehold::placement::testing {
namespace {

// Exactly k+m failure domains (the local cluster: six hosts for 4+2), one node down: no
// unused domain is eligible. Repair and upload replacement still find a target (the
// least-loaded domain already used, a node without a shard of the segment first), and
// a new segment is still placed, complete, on the five nodes up (issue 23).
TEST(DegradedPlacementTest, ExactlyKPlusMDomainsWithOneDownStillPlaceAndReplace) {
  std::vector<NodeInfo> nodes = Cluster(6, 1);
  ASSERT_OK_AND_ASSIGN(PlacementMap full, PlacementMap::Build(nodes, Policy()));
  nodes[2].state = NodeState::kDown;
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(nodes, Policy()));
  int checked = 0;
  for (int s = 0; s < 200; ++s) {
    const SegmentKey key = SegmentKey::FromUint64(s);
    // Repair: the shard on the down node, the five others kept.
    std::vector<std::string> current = full.PlaceIds(key).value();
    current.erase(std::find(current.begin(), current.end(), nodes[2].id));
    const std::vector<std::string> excluded = {nodes[2].id};
    EXPECT_EQ(map.ReplacementFor(key, current, excluded).status().code(),
              absl::StatusCode::kFailedPrecondition);
    ASSERT_OK_AND_ASSIGN(std::string target,
                         map.ReplacementFor(key, current, excluded, /*share_domains=*/true));
    EXPECT_NE(target, nodes[2].id);
    // Upload replacement: a live node failed too; the target is neither failed node.
    const std::vector<std::string> two_failed = {nodes[2].id, current[0]};
    std::vector<std::string> rest(current.begin() + 1, current.end());
    ASSERT_OK_AND_ASSIGN(std::string other,
                         map.ReplacementFor(key, rest, two_failed, /*share_domains=*/true));
    EXPECT_NE(other, nodes[2].id);
    EXPECT_NE(other, current[0]);
    // A new segment: all six shards, on the five up nodes (one holds two).
    EXPECT_EQ(map.PlaceIds(key).status().code(), absl::StatusCode::kFailedPrecondition);
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> placed, map.PlaceIdsDegraded(key, 5));
    ASSERT_EQ(placed.size(), 6u);
    std::set<std::string> distinct(placed.begin(), placed.end());
    EXPECT_EQ(distinct.size(), 5u);
    EXPECT_EQ(distinct.count(nodes[2].id), 0u);
    ++checked;
  }
  EXPECT_EQ(checked, 200);
  // Fewer distinct nodes than the minimum: refused, naming both numbers.
  absl::StatusOr<std::vector<std::string>> refused =
      map.PlaceIdsDegraded(SegmentKey::FromUint64(1), 6);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("at least 6"));
  // Enough domains: PlaceIdsDegraded is Place.
  EXPECT_EQ(full.PlaceIdsDegraded(SegmentKey::FromUint64(7), 5).value(),
            full.PlaceIds(SegmentKey::FromUint64(7)).value());
}

// Three hosts of two nodes (6 nodes, 3 domains) for 4+2: two shards per host.
TEST(DegradedPlacementTest, FewerDomainsThanShardsSpreadEvenly) {
  std::vector<NodeInfo> nodes = Cluster(3, 2);
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(nodes, Policy()));
  for (int s = 0; s < 100; ++s) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> placed,
                         map.PlaceIdsDegraded(SegmentKey::FromUint64(s), 5));
    std::set<std::string> distinct(placed.begin(), placed.end());
    EXPECT_EQ(distinct.size(), 6u);
    std::map<std::string, int> per_host;
    for (const std::string& id : placed) ++per_host[id.substr(0, 3)];
    for (const auto& [host, count] : per_host) EXPECT_EQ(count, 2) << host;
  }
}

}  // namespace
}  // namespace freehold::placement::testing
