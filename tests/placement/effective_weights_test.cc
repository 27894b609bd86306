// Effective weights: inclusion probabilities and their correction.
#include "coordinator/placement/effective_weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "coordinator/placement/placement_map.h"
#include "tests/placement/test_maps.h"
#include "tests/support/status_matchers.h"

namespace freehold::placement {
namespace {

using testing::Cluster;
using testing::kTB;
using testing::Policy;

TEST(InclusionProbabilitiesTest, MatchesExactSuccessiveSamplingForThreeItems) {
  const double a = 1, b = 2, c = 5, s = a + b + c;
  // P(x is drawn last) in 2 draws of 3 without replacement.
  const double last_a = (b / s) * (c / (s - b)) + (c / s) * (b / (s - c));
  const double last_b = (a / s) * (c / (s - a)) + (c / s) * (a / (s - c));
  const double last_c = (a / s) * (b / (s - a)) + (b / s) * (a / (s - b));
  const std::vector<double> pi = InclusionProbabilities(std::vector<double>{a, b, c}, 2);
  EXPECT_NEAR(pi[0], 1 - last_a, 1e-12);
  EXPECT_NEAR(pi[1], 1 - last_b, 1e-12);
  EXPECT_NEAR(pi[2], 1 - last_c, 1e-12);
}

TEST(InclusionProbabilitiesTest, SumToDrawsAndAreSymmetricForEqualWeights) {
  const std::vector<double> pi = InclusionProbabilities(std::vector<double>(20, 3.0), 6);
  for (double p : pi) EXPECT_NEAR(p, 6.0 / 20.0, 1e-12);
  std::vector<double> w;
  for (int i = 0; i < 40; ++i) w.push_back(1.0 + (i % 7) * 0.9);
  const std::vector<double> mixed = InclusionProbabilities(w, 14);
  EXPECT_NEAR(std::accumulate(mixed.begin(), mixed.end(), 0.0), 14.0, 1e-10);
}

TEST(InclusionProbabilitiesTest, ZeroWeightNeverIncludedAndFewDomainsAlwaysIncluded) {
  const std::vector<double> pi = InclusionProbabilities(std::vector<double>{1, 0, 2}, 2);
  EXPECT_EQ(pi[1], 0.0);
  EXPECT_EQ(pi[0], 1.0);
  EXPECT_EQ(pi[2], 1.0);
}

TEST(CorrectDomainWeightsTest, EqualCapacitiesAreLeftExactlyAlone) {
  const DomainCorrection c = CorrectDomainWeights(std::vector<double>(20, 12.0), 6);
  EXPECT_TRUE(c.feasible);
  for (double f : c.factors) EXPECT_EQ(f, 1.0);
}

TEST(CorrectDomainWeightsTest, InclusionMatchesCapacityShareAfterCorrection) {
  std::vector<double> cap;
  for (int i = 0; i < 20; ++i) cap.push_back(i < 5 ? 3.0 : 12.0);
  const DomainCorrection c = CorrectDomainWeights(cap, 6);
  ASSERT_TRUE(c.feasible);
  ASSERT_TRUE(c.converged) << c.max_residual;
  const double total = std::accumulate(cap.begin(), cap.end(), 0.0);
  std::vector<double> w(cap.size());
  for (size_t i = 0; i < cap.size(); ++i) w[i] = cap[i] * c.factors[i];
  const std::vector<double> corrected = InclusionProbabilities(w, 6);
  const std::vector<double> raw = InclusionProbabilities(cap, 6);
  for (size_t i = 0; i < cap.size(); ++i) {
    EXPECT_NEAR(corrected[i] / (6 * cap[i] / total), 1.0, 1e-9) << i;
  }
  // Without correction the small domains are overfilled noticeably.
  EXPECT_GT(raw[0] / (6 * cap[0] / total), 1.03);
  EXPECT_LT(c.factors[0], 1.0);
}

TEST(CorrectDomainWeightsTest, DomainAboveOneShareIsInfeasibleAndUncorrected) {
  std::vector<double> cap(10, 1.0);
  cap[0] = 3.0;  // 3/12 > 1/6
  const DomainCorrection c = CorrectDomainWeights(cap, 6);
  EXPECT_FALSE(c.feasible);
  for (double f : c.factors) EXPECT_EQ(f, 1.0);
}

// 1 TB nodes among 4 TB ones: empirical shares follow capacity once corrected.
TEST(EffectiveWeightsTest, MixedCapacitiesFillInProportionToCapacity) {
  std::vector<NodeInfo> nodes = Cluster(5, 3, 1 * kTB);
  std::vector<NodeInfo> big = Cluster(15, 3, 4 * kTB, 1, 5);
  nodes.insert(nodes.end(), big.begin(), big.end());
  ASSERT_OK_AND_ASSIGN(PlacementMap map, PlacementMap::Build(nodes, Policy()));
  const PlacementMap raw = map.WithoutCorrection();

  const std::vector<double> cap = map.CapacityShares();
  const std::vector<double> expected = map.ExpectedShardShares();
  for (int i = 0; i < map.node_count(); ++i) EXPECT_NEAR(expected[i] / cap[i], 1.0, 1e-8);

  constexpr int kSegments = 60000;
  std::vector<int> corrected_count(map.node_count()), raw_count(map.node_count());
  for (int s = 0; s < kSegments; ++s) {
    ASSERT_OK_AND_ASSIGN(std::vector<int> a, map.Place(SegmentKey::FromUint64(s)));
    ASSERT_OK_AND_ASSIGN(std::vector<int> b, raw.Place(SegmentKey::FromUint64(s)));
    for (int i : a) ++corrected_count[i];
    for (int i : b) ++raw_count[i];
  }
  // Aggregate the 15 small nodes (~18k shards, sd ~0.7%).
  double small_share = 0, small_corrected = 0, small_raw = 0;
  for (int i = 0; i < map.node_count(); ++i) {
    if (map.node(i).capacity_bytes != 1 * kTB) continue;
    small_share += cap[i];
    small_corrected += corrected_count[i] / (6.0 * kSegments);
    small_raw += raw_count[i] / (6.0 * kSegments);
  }
  EXPECT_NEAR(small_corrected / small_share, 1.0, 0.025);
  EXPECT_GT(small_raw / small_share, 1.04);
}

TEST(EffectiveWeightsTest, ReusesThePreviousCorrectionOnlyWhenCapacitiesAreUnchanged) {
  std::vector<NodeInfo> nodes = Cluster(4, 3, 1 * kTB);
  std::vector<NodeInfo> big = Cluster(8, 3, 4 * kTB, 1, 4);
  nodes.insert(nodes.end(), big.begin(), big.end());
  ASSERT_OK_AND_ASSIGN(PlacementMap first, PlacementMap::Build(nodes, Policy(), 1));
  EXPECT_FALSE(first.correction_reused());

  nodes[0].state = NodeState::kDown;
  nodes[5].used_bytes = nodes[5].capacity_bytes / 2;
  ASSERT_OK_AND_ASSIGN(PlacementMap reused, PlacementMap::Build(nodes, Policy(), 2, &first));
  ASSERT_OK_AND_ASSIGN(PlacementMap fresh, PlacementMap::Build(nodes, Policy(), 2));
  EXPECT_TRUE(reused.correction_reused());
  for (int i = 0; i < fresh.node_count(); ++i) {
    EXPECT_EQ(reused.EffectiveWeight(i), fresh.EffectiveWeight(i)) << i;
  }

  nodes[20].capacity_bytes = 8 * kTB;
  ASSERT_OK_AND_ASSIGN(PlacementMap changed, PlacementMap::Build(nodes, Policy(), 3, &reused));
  ASSERT_OK_AND_ASSIGN(PlacementMap changed_fresh, PlacementMap::Build(nodes, Policy(), 3));
  EXPECT_FALSE(changed.correction_reused());
  EXPECT_EQ(changed.EffectiveWeight(3), changed_fresh.EffectiveWeight(3));
  EXPECT_NE(changed.EffectiveWeight(3), reused.EffectiveWeight(3));
}

}  // namespace
}  // namespace freehold::placement
