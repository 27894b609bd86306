// AdmissionPolicy: Decide() with per-account token buckets over the assessment.
#include "billing-free/admission_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace freehold::funding {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kTiB = kBytesPerTiB;
constexpr uint64_t kFunded = 1'000'000'000'000;
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

AdmissionConfig Config() {
  AdmissionConfig config;
  config.throttle_horizon = absl::Seconds(10'000);
  config.min_account_rate_bytes_per_second = 100;
  config.burst = absl::Seconds(10);
  config.donate_url = "https://donate.example.org/freehold";
  return config;
}

FundingOutlook Outlook(uint64_t funded_logical) {
  FundingOutlook outlook;
  outlook.funded_logical_bytes = funded_logical;
  outlook.raw_overhead = 1.5;
  return outlook;
}

StorageUsage Usage(uint64_t logical, uint64_t physical_raw = 1'000'000'000'000'000) {
  return StorageUsage{logical, logical / 2 * 3, physical_raw, 0};
}

// Throttled with no recent writers: every account's rate is the budget,
// headroom / 10^4 s; a budget of 10^4 B/s gives buckets 10^5 bytes deep.
void ThrottleAtBudget(AdmissionPolicy& policy, double budget, RecentWrites recent = {}) {
  uint64_t used = kFunded - static_cast<uint64_t>(budget * 1e4);
  policy.Update(Outlook(kFunded), Usage(used), recent, kT0);
}

TEST(AdmissionPolicyTest, OpenBeforeFirstUpdateAndBelowThreshold) {
  AdmissionPolicy policy(Config());
  AdmissionDecision first = policy.Decide("alice", 50 * kTiB, kT0);
  EXPECT_EQ(first.verdict, AdmissionVerdict::kAdmit);
  EXPECT_EQ(first.state, AdmissionState::kOpen);

  policy.Update(Outlook(kFunded), Usage(kFunded / 2), {}, kT0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(policy.Decide("alice", 10 * kTiB, kT0).verdict, AdmissionVerdict::kAdmit);
  }
  EXPECT_TRUE(policy.Decide("alice", 1, kT0).ToStatus().ok());
  EXPECT_THAT(policy.Decide("alice", 1, kT0).message, IsEmpty());
  EXPECT_EQ(policy.tracked_accounts(), 0u);
}

TEST(AdmissionPolicyTest, TokenBucketAdmitsBurstThenDelaysWithRetryAfter) {
  AdmissionPolicy policy(Config());
  ThrottleAtBudget(policy, 1e4);
  ASSERT_EQ(policy.assessment().state, AdmissionState::kThrottled);
  ASSERT_DOUBLE_EQ(policy.assessment().account_rate_limit_bytes_per_second, 1e4);

  AdmissionDecision burst = policy.Decide("alice", 100'000, kT0);
  EXPECT_EQ(burst.verdict, AdmissionVerdict::kAdmit);
  EXPECT_EQ(burst.state, AdmissionState::kThrottled);
  EXPECT_THAT(burst.message, HasSubstr("slowed down"));  // a notice, not an error

  AdmissionDecision empty = policy.Decide("alice", 50'000, kT0);
  EXPECT_EQ(empty.verdict, AdmissionVerdict::kDelay);
  EXPECT_EQ(empty.reason, AdmissionReason::kFunding);
  EXPECT_EQ(empty.retry_after, absl::Seconds(5));
  EXPECT_THAT(empty.message, HasSubstr("retry in 5 s"));
  EXPECT_THAT(empty.message, HasSubstr("https://donate.example.org/freehold"));
  EXPECT_EQ(empty.ToStatus().code(), absl::StatusCode::kResourceExhausted);

  // A delayed request consumed nothing: 4 s later it still waits 1 s more.
  EXPECT_EQ(policy.Decide("alice", 50'000, kT0 + absl::Seconds(4)).retry_after, absl::Seconds(1));
  EXPECT_EQ(policy.Decide("alice", 50'000, kT0 + absl::Seconds(5)).verdict,
            AdmissionVerdict::kAdmit);
  // Another account has its own full bucket.
  EXPECT_EQ(policy.Decide("bob", 100'000, kT0).verdict, AdmissionVerdict::kAdmit);
}

TEST(AdmissionPolicyTest, RequestLargerThanTheBucketIsAdmittedOnceAndLeavesADebt) {
  AdmissionPolicy policy(Config());
  ThrottleAtBudget(policy, 1e4);
  EXPECT_EQ(policy.Decide("alice", 1'000'000, kT0).verdict, AdmissionVerdict::kAdmit);
  // 900,000 in debt: one more byte waits (900,000 + 1) / 10^4 s, rounded up.
  AdmissionDecision next = policy.Decide("alice", 1, kT0);
  EXPECT_EQ(next.verdict, AdmissionVerdict::kDelay);
  EXPECT_EQ(next.retry_after, absl::Seconds(91));
}

TEST(AdmissionPolicyTest, HeavyWriterIsDelayedWhileSmallWriterIsUnaffected) {
  // Heavy wrote 1 MB/s, small 1 kB/s over the window; budget 2e4 B/s gives a
  // fair share of 1.9e4 B/s: heavy is capped, small is not.
  AdmissionPolicy policy(Config());
  ThrottleAtBudget(
      policy, 2e4,
      RecentWrites{absl::Seconds(1000), {{"heavy", 1'000'000'000}, {"small", 1'000'000}}});
  AdmissionAssessment assessment = policy.assessment();
  ASSERT_EQ(assessment.throttled_accounts.size(), 1u);
  EXPECT_EQ(assessment.throttled_accounts[0].account, "heavy");

  int heavy_admitted = 0, small_admitted = 0;
  for (int second = 0; second < 60; ++second) {
    absl::Time now = kT0 + absl::Seconds(second);
    if (policy.Decide("heavy", 1'000'000, now).verdict == AdmissionVerdict::kAdmit) {
      ++heavy_admitted;
    }
    if (policy.Decide("small", 1'000, now).verdict == AdmissionVerdict::kAdmit) ++small_admitted;
  }
  EXPECT_EQ(small_admitted, 60);
  // 1.9e4 B/s for 60 s plus a 1.9e5 burst is about 1.3 MB: at most two 1 MB writes.
  EXPECT_LE(heavy_admitted, 2);
  EXPECT_GE(heavy_admitted, 1);
}

TEST(AdmissionPolicyTest, UpdateKeepsDebtAndDropsFullBuckets) {
  AdmissionPolicy policy(Config());
  ThrottleAtBudget(policy, 1e4);
  ASSERT_EQ(policy.Decide("alice", 100'000, kT0).verdict, AdmissionVerdict::kAdmit);
  ASSERT_EQ(policy.Decide("bob", 10, kT0).verdict, AdmissionVerdict::kAdmit);
  EXPECT_EQ(policy.tracked_accounts(), 2u);

  // Same figures a second later: bob's bucket is full again and dropped;
  // alice's is not, so she cannot burst again right away.
  policy.Update(Outlook(kFunded), Usage(kFunded - 100'000'000), {}, kT0 + absl::Seconds(1));
  EXPECT_EQ(policy.tracked_accounts(), 1u);
  EXPECT_EQ(policy.Decide("alice", 100'000, kT0 + absl::Seconds(1)).verdict,
            AdmissionVerdict::kDelay);
}

TEST(AdmissionPolicyTest, ClosedRefusesEveryWriteWithAMessage) {
  AdmissionPolicy policy(Config());
  // 1e12 raw bytes of disk, 5% reserve; 6.4e11 logical is 9.6e11 raw.
  policy.Update(Outlook(kFunded * 10), Usage(640'000'000'000, 1'000'000'000'000), {}, kT0);
  AdmissionDecision decision = policy.Decide("alice", 1, kT0);
  EXPECT_EQ(decision.verdict, AdmissionVerdict::kRefuse);
  EXPECT_EQ(decision.state, AdmissionState::kClosed);
  EXPECT_EQ(decision.reason, AdmissionReason::kPhysicalCapacity);
  absl::Status status = decision.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()), HasSubstr("disks are full"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("https://donate.example.org/freehold"));
  // Nothing new to store (e.g. an empty object): nothing to refuse.
  EXPECT_EQ(policy.Decide("alice", 0, kT0).verdict, AdmissionVerdict::kAdmit);
  // Time passing does not help; only more capacity does.
  EXPECT_EQ(policy.Decide("alice", 1, kT0 + absl::Hours(24)).verdict, AdmissionVerdict::kRefuse);
  policy.Update(Outlook(kFunded * 10), Usage(640'000'000'000, 2'000'000'000'000), {}, kT0);
  EXPECT_EQ(policy.Decide("alice", 1, kT0).verdict, AdmissionVerdict::kAdmit);
}

// End to end through the funding model: 40 TiB stored, donations fund 39.33
// TiB, so writes are throttled; a new 200 EUR monthly pledge funds 52.67 TiB,
// which puts usage under 90% of it and lifts the throttle.
TEST(AdmissionPolicyTest, DonationRaisingFundedCapacityLiftsTheThrottle) {
  const CostModel costs{"EUR", 1000, 50000, 1.5};
  const StorageUsage usage{40 * kTiB, 60 * kTiB, 1000 * kTiB, 1 << 20};
  FundingSummary summary{"EUR", 20000, 1000, 80000, 30000, 1'000'000};
  absl::StatusOr<FundingOutlook> before = ComputeFunding(summary, costs, usage);
  ASSERT_TRUE(before.ok()) << before.status();

  AdmissionPolicy policy(Config());
  RecentWrites recent{absl::Hours(1), {{"heavy", 100 * (uint64_t{1} << 30)}}};
  policy.Update(*before, usage, recent, kT0);
  ASSERT_EQ(policy.assessment().state, AdmissionState::kThrottled);
  ASSERT_EQ(policy.assessment().reason, AdmissionReason::kFunding);
  EXPECT_EQ(policy.Decide("heavy", 1 << 30, kT0).verdict, AdmissionVerdict::kAdmit);  // debt
  EXPECT_EQ(policy.Decide("heavy", 1 << 30, kT0).verdict, AdmissionVerdict::kDelay);

  summary.recurring_monthly_minor += 20000;
  absl::StatusOr<FundingOutlook> after = ComputeFunding(summary, costs, usage);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->funded_raw_bytes, 79 * kTiB);
  policy.Update(*after, usage, recent, kT0 + absl::Seconds(1));
  EXPECT_EQ(policy.assessment().state, AdmissionState::kOpen);
  AdmissionDecision decision = policy.Decide("heavy", 1 << 30, kT0 + absl::Seconds(1));
  EXPECT_EQ(decision.verdict, AdmissionVerdict::kAdmit);
  EXPECT_THAT(decision.message, IsEmpty());
  EXPECT_EQ(policy.tracked_accounts(), 0u);
}

}  // namespace
}  // namespace freehold::funding
