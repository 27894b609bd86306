// Audit scheduling and node reputation (coordinator/core/audit_scheduler.h, reputation.h):
// pure rules, no database.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "coordinator/core/audit_scheduler.h"
#include "coordinator/core/audit_worker.h"
#include "coordinator/core/durability_config.h"
#include "coordinator/core/rebalance_worker.h"
#include "coordinator/core/respread_worker.h"
#include "coordinator/core/shard_mover.h"
#include "coordinator/core/reputation.h"

namespace freehold::coordinator {
namespace {

TEST(RespreadTest, MovesAShardOffTheMostCrowdedDomainOnlyWhenOneIsShared) {
  // One shard per domain: nothing to move.
  EXPECT_EQ(ShardToRespread({"a", "b", "c"}, {"h1", "h2", "h3"}), -1);
  // Two nodes of host h1 hold shards 0 and 2: the higher index moves.
  EXPECT_EQ(ShardToRespread({"a", "b", "a2", "c"}, {"h1", "h2", "h1", "h3"}), 2);
  // A node holding two shards goes before a domain of two nodes with one each.
  EXPECT_EQ(ShardToRespread({"a", "a", "b", "b2", "c"}, {"h1", "h1", "h2", "h2", "h3"}), 1);
  // The most crowded domain first.
  EXPECT_EQ(ShardToRespread({"a", "a2", "a3", "b", "b2"}, {"h1", "h1", "h1", "h2", "h2"}), 2);
  // Nodes unknown to the map (retired) neither move nor count.
  EXPECT_EQ(ShardToRespread({"x", "x", "b"}, {"", "", "h2"}), -1);
}

TEST(ReputationTest, UpdatesFollowTheForgettingBetaFormula) {
  const ReputationParams p{0.9, 2.0, 0.6};
  const BetaScore start = InitialScore(p);
  EXPECT_DOUBLE_EQ(start.alpha, 20.0);  // w / (1 - lambda)
  EXPECT_DOUBLE_EQ(start.beta, 0.0);
  EXPECT_DOUBLE_EQ(start.Value(), 1.0);
  const BetaScore failed = Update(start, false, p);
  EXPECT_DOUBLE_EQ(failed.alpha, 18.0);  // lambda * alpha
  EXPECT_DOUBLE_EQ(failed.beta, 2.0);    // lambda * beta + w
  EXPECT_DOUBLE_EQ(failed.Value(), 0.9);
  const BetaScore passed = Update(failed, true, p);
  EXPECT_DOUBLE_EQ(passed.alpha, 0.9 * 18.0 + 2.0);
  EXPECT_DOUBLE_EQ(passed.beta, 0.9 * 2.0);
}

TEST(ReputationTest, ConsecutiveFailuresDecayGeometrically) {
  const ReputationParams p{0.95, 1.0, 0.6};
  BetaScore s = InitialScore(p);
  for (int n = 1; n <= 20; ++n) {
    s = Update(s, false, p);
    // Starting from a full window of successes, n failures leave lambda^n.
    EXPECT_NEAR(s.Value(), std::pow(0.95, n), 1e-12) << n;
  }
}

TEST(ReputationTest, AHalfLosingNodeFallsBelowTheThresholdAndAGoodOneStays) {
  const ReputationParams p{0.8, 1.0, 0.6};
  NodeReputation bad = InitialReputation(p), good = InitialReputation(p);
  int audits_to_suspend = -1;
  for (int i = 0; i < 40; ++i) {
    bad = Apply(bad, i % 2 == 0 ? AuditOutcome::kFailed : AuditOutcome::kPassed, p);
    good = Apply(good, AuditOutcome::kPassed, p);
    if (audits_to_suspend < 0 && bad.Value() < p.threshold) audits_to_suspend = i + 1;
  }
  EXPECT_GT(audits_to_suspend, 1);
  EXPECT_LE(audits_to_suspend, 12);
  EXPECT_NEAR(bad.Value(), 0.5, 0.07);  // converges to the failure share
  EXPECT_DOUBLE_EQ(good.Value(), 1.0);
  EXPECT_EQ(bad.passed, 20);
  EXPECT_EQ(bad.failed, 20);
  EXPECT_EQ(PlacementFactor(bad.Value(), p), 0.0);
  EXPECT_DOUBLE_EQ(PlacementFactor(good.Value(), p), 1.0);
  EXPECT_DOUBLE_EQ(PlacementFactor(0.75, p), 0.75);
}

TEST(ReputationTest, OfflineCountsAgainstUptimeOnlyAndUnknownChangesNothing) {
  const ReputationParams p{0.9, 1.0, 0.6};
  NodeReputation r = InitialReputation(p);
  r = Apply(r, AuditOutcome::kOffline, p);
  EXPECT_DOUBLE_EQ(r.audit.Value(), 1.0);
  EXPECT_DOUBLE_EQ(r.online.Value(), 0.9);
  EXPECT_DOUBLE_EQ(r.Value(), 0.9);
  EXPECT_EQ(r.offline, 1);
  const NodeReputation same = Apply(r, AuditOutcome::kUnknown, p);
  EXPECT_DOUBLE_EQ(same.Value(), r.Value());
  EXPECT_EQ(same.passed + same.failed + same.offline, 1);
}

TEST(ReputationTest, ParametersAreValidated) {
  EXPECT_TRUE(ValidateReputationParams({0.95, 1, 0.6}).ok());
  EXPECT_FALSE(ValidateReputationParams({1.0, 1, 0.6}).ok());
  EXPECT_FALSE(ValidateReputationParams({0.95, 0, 0.6}).ok());
  EXPECT_FALSE(ValidateReputationParams({0.95, 1, 1.0}).ok());
  DurabilitySettings d;
  EXPECT_TRUE(d.Validate().ok());
  d.drain_parallelism = 0;
  EXPECT_NE(d.Validate().message().find("--drain-parallelism"), std::string::npos);
  DurabilitySettings r;
  r.repair_parallelism = 0;
  EXPECT_NE(r.Validate().message().find("--repair-parallelism"), std::string::npos);
  r.repair_parallelism = 65;
  EXPECT_NE(r.Validate().message().find("--repair-parallelism"), std::string::npos);
  r.repair_parallelism = 8;
  r.repair_bytes_per_second = 100;  // neither unbounded (0) nor at least 1KiB
  EXPECT_NE(r.Validate().message().find("--repair-bytes-per-second"), std::string::npos);
  r.repair_bytes_per_second = 0;
  EXPECT_TRUE(r.Validate().ok());
}

TEST(AuditErrorsTest, AbsentOrCorruptFailsUnreachableIsOffline) {
  EXPECT_EQ(ClassifyAuditError(absl::NotFoundError("x")), AuditOutcome::kFailed);
  EXPECT_EQ(ClassifyAuditError(absl::DataLossError("x")), AuditOutcome::kFailed);
  EXPECT_EQ(ClassifyAuditError(absl::UnavailableError("x")), AuditOutcome::kOffline);
  EXPECT_EQ(ClassifyAuditError(absl::DeadlineExceededError("x")), AuditOutcome::kOffline);
  EXPECT_EQ(ClassifyAuditError(absl::PermissionDeniedError("x")), AuditOutcome::kUnknown);
}

TEST(AuditSchedulerTest, NextAuditFallsInTheSecondHalfOfThePeriod) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(NextAuditAt(now, absl::Hours(10), 0.0), now + absl::Hours(5));
  EXPECT_LT(NextAuditAt(now, absl::Hours(10), 0.999999), now + absl::Hours(9));
  EXPECT_DOUBLE_EQ(RequiredAuditRate(3600, absl::Hours(1)), 2.0);
}

TEST(AuditSchedulerTest, PickDueRespectsTheTotalAndPerNodeBudgets) {
  const absl::Time t = absl::FromUnixSeconds(0);
  std::vector<DueCopy> due = {{"a", t}, {"a", t}, {"a", t}, {"b", t}, {"c", t}, {"c", t}};
  const std::vector<int> picked = PickDue(due, AuditBudget{4, 2});
  EXPECT_EQ(picked, (std::vector<int>{0, 1, 3, 4}));
  AuditSchedule s;
  s.max_per_second = 2.5;
  s.max_per_node_per_second = 0.1;
  const AuditBudget b = BudgetFor(s, absl::Seconds(2));
  EXPECT_EQ(b.total, 5);
  EXPECT_EQ(b.per_node, 1);  // at least one per tick
}

// Simulates the worker's schedule: N copies on M nodes all due at the start, a tick every
// second, the budget of the configured rate (RequiredAuditRate plus 10 %), next due times
// drawn as the worker draws them. Every copy is audited within the period from the start
// and between any two of its audits.
TEST(AuditSchedulerTest, EveryCopyIsAuditedWithinThePeriod) {
  const int copies = 3000, nodes = 6;
  const absl::Duration period = absl::Seconds(1000), tick = absl::Seconds(1);
  AuditSchedule s;
  s.period = period;
  s.max_per_second = RequiredAuditRate(copies, period) * 1.1;
  s.max_per_node_per_second = s.max_per_second / nodes * 1.5;
  const AuditBudget budget = BudgetFor(s, tick);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const absl::Time start = absl::FromUnixSeconds(0);
  std::vector<absl::Time> due(copies, start), last(copies, start);
  std::vector<bool> seen(copies, false);
  absl::Duration worst = absl::ZeroDuration();
  for (absl::Time now = start; now < start + 5 * period; now += tick) {
    std::vector<int> order;
    for (int i = 0; i < copies; ++i) {
      if (due[i] <= now) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return due[a] < due[b]; });
    std::vector<DueCopy> list;
    for (int i : order) list.push_back(DueCopy{"node-" + std::to_string(i % nodes), due[i]});
    for (int k : PickDue(list, budget)) {
      const int i = order[k];
      worst = std::max(worst, now - last[i]);
      last[i] = now;
      seen[i] = true;
      due[i] = NextAuditAt(now, period, u(rng));
    }
  }
  for (int i = 0; i < copies; ++i) {
    ASSERT_TRUE(seen[i]) << i;
    worst = std::max(worst, start + 5 * period - tick - last[i]);
  }
  EXPECT_LE(worst, period) << "worst gap " << absl::FormatDuration(worst);
}

TEST(RebalanceTest, OverfullNodesComeMostOverfullFirst) {
  // Expected shares 1/4 each; stored 40/30/20/10 of 100 bytes.
  const std::map<std::string, uint64_t> stored = {{"a", 40}, {"b", 30}, {"c", 20}, {"d", 10},
                                                  {"gone", 500}};
  const std::map<std::string, double> expected = {{"a", 0.25}, {"b", 0.25}, {"c", 0.25},
                                                  {"d", 0.25}, {"new", 0.0}};
  const std::vector<NodeFill> fills = OverfullNodes(stored, expected, 1.1);
  ASSERT_EQ(fills.size(), 2u);  // "gone" is not a member: neither counted nor moved from
  EXPECT_EQ(fills[0].node_id, "a");
  EXPECT_DOUBLE_EQ(fills[0].ratio, 1.6);
  EXPECT_EQ(fills[1].node_id, "b");
  EXPECT_DOUBLE_EQ(fills[1].ratio, 1.2);
  EXPECT_TRUE(OverfullNodes(stored, expected, 2.0).empty());
  EXPECT_TRUE(OverfullNodes({}, expected, 1.1).empty());
}

TEST(ByteRateLimiterTest, HoldsMovesToTheConfiguredBandwidth) {
  // 1 MiB/s, a bucket of one second: 3 MiB in 256 KiB moves take about 2 s.
  ByteRateLimiter limiter(1 << 20);
  const absl::Time start = absl::Now();
  for (int i = 0; i < 12; ++i) limiter.Acquire(256 << 10);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  EXPECT_GE(seconds, 1.8);
  EXPECT_LE(seconds, 4.0);
  // A single move larger than a second's budget passes once the bucket is full.
  ByteRateLimiter small(64 << 10);
  const absl::Time t0 = absl::Now();
  small.Acquire(1 << 20);
  EXPECT_LE(absl::ToDoubleSeconds(absl::Now() - t0), 1.5);
}

}  // namespace
}  // namespace freehold::coordinator
