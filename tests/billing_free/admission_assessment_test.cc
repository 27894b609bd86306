// AssessAdmission: thresholds, reasons, water-filling and fair-share order.
#include "billing-free/admission_assessment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace freehold::funding {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kFunded = 1'000'000'000'000;  // 1e12 logical bytes funded

FundingOutlook Outlook(uint64_t funded_logical, double overhead = 1.5) {
  FundingOutlook outlook;
  outlook.currency = "EUR";
  outlook.funded_logical_bytes = funded_logical;
  outlook.raw_overhead = overhead;
  return outlook;
}

StorageUsage Usage(uint64_t logical, uint64_t physical_raw = 1'000'000'000'000'000) {
  return StorageUsage{logical, logical / 2 * 3, physical_raw, 0};
}

AdmissionConfig Config() {
  AdmissionConfig config;
  config.throttle_at = 0.9;
  config.physical_reserve_fraction = 0.05;
  config.throttle_horizon = absl::Seconds(10'000);
  config.min_account_rate_bytes_per_second = 100;
  config.donate_url = "https://donate.example.org/freehold";
  return config;
}

std::vector<std::string> Names(const std::vector<ThrottledAccount>& accounts) {
  std::vector<std::string> names;
  for (const ThrottledAccount& a : accounts) names.push_back(a.account);
  return names;
}

TEST(AdmissionAssessmentTest, StateAndReasonNamesMatchTheMetricsContract) {
  EXPECT_EQ(static_cast<int>(AdmissionState::kOpen), 0);
  EXPECT_EQ(static_cast<int>(AdmissionState::kThrottled), 1);
  EXPECT_EQ(static_cast<int>(AdmissionState::kClosed), 2);
  EXPECT_EQ(AdmissionStateName(AdmissionState::kThrottled), "throttled");
  EXPECT_EQ(AdmissionReasonLabel(AdmissionReason::kFunding), "funding");
  EXPECT_EQ(AdmissionReasonLabel(AdmissionReason::kPhysicalCapacity), "physical_capacity");
}

TEST(AdmissionAssessmentTest, OpenBelowThrottleThreshold) {
  AdmissionAssessment a = AssessAdmission(Outlook(kFunded), Usage(899'999'999'998), {}, Config());
  EXPECT_EQ(a.state, AdmissionState::kOpen);
  EXPECT_EQ(a.reason, AdmissionReason::kNone);
  EXPECT_EQ(a.limit_logical_bytes, kFunded);
  EXPECT_EQ(a.threshold_logical_bytes, 900'000'000'000u);
  EXPECT_TRUE(std::isinf(a.account_rate_limit_bytes_per_second));
  EXPECT_THAT(a.message, IsEmpty());
}

TEST(AdmissionAssessmentTest, ThrottledFromThresholdWithShrinkingBudget) {
  AdmissionAssessment at = AssessAdmission(Outlook(kFunded), Usage(900'000'000'000), {}, Config());
  EXPECT_EQ(at.state, AdmissionState::kThrottled);
  EXPECT_EQ(at.reason, AdmissionReason::kFunding);
  EXPECT_DOUBLE_EQ(at.pressure, 0.0);
  EXPECT_DOUBLE_EQ(at.budget_bytes_per_second, 1e11 / 1e4);  // headroom / horizon
  EXPECT_THAT(at.message, HasSubstr("90% of the"));
  EXPECT_THAT(at.message, HasSubstr("current donations pay for"));
  EXPECT_THAT(at.message, HasSubstr("https://donate.example.org/freehold"));
  EXPECT_THAT(at.message, HasSubstr("Reading, downloading, deleting"));

  AdmissionAssessment half =
      AssessAdmission(Outlook(kFunded), Usage(950'000'000'000), {}, Config());
  EXPECT_DOUBLE_EQ(half.pressure, 0.5);
  EXPECT_DOUBLE_EQ(half.budget_bytes_per_second, 5e10 / 1e4);
}

TEST(AdmissionAssessmentTest, PastFundedCapacityThrottlesToTheFloorButNeverCloses) {
  AdmissionAssessment a = AssessAdmission(Outlook(kFunded), Usage(1'200'000'000'000), {}, Config());
  EXPECT_EQ(a.state, AdmissionState::kThrottled);
  EXPECT_EQ(a.reason, AdmissionReason::kFunding);
  EXPECT_DOUBLE_EQ(a.pressure, 1.0);
  EXPECT_DOUBLE_EQ(a.budget_bytes_per_second, 0.0);
  EXPECT_DOUBLE_EQ(a.account_rate_limit_bytes_per_second, 100.0);
}

TEST(AdmissionAssessmentTest, FundingThrottleCanBeDisabled) {
  AdmissionConfig config = Config();
  config.throttle_on_funding = false;
  AdmissionAssessment a = AssessAdmission(Outlook(0), Usage(1'000'000), {}, config);
  EXPECT_EQ(a.state, AdmissionState::kOpen);
}

TEST(AdmissionAssessmentTest, NoDonationsYetThrottlesWhenFundingIsEnforced) {
  AdmissionAssessment a = AssessAdmission(Outlook(0), Usage(0), {}, Config());
  EXPECT_EQ(a.state, AdmissionState::kThrottled);
  EXPECT_EQ(a.reason, AdmissionReason::kFunding);
  EXPECT_DOUBLE_EQ(a.account_rate_limit_bytes_per_second, 100.0);
}

TEST(AdmissionAssessmentTest, PhysicalCapacityThrottlesThenClosesAtTheReserve) {
  // 1e12 raw bytes of disk, 5% reserve: 9.5e11 usable raw, 6.33e11 logical.
  const uint64_t physical = 1'000'000'000'000;
  AdmissionAssessment open =
      AssessAdmission(Outlook(kFunded * 100), Usage(500'000'000'000, physical), {}, Config());
  EXPECT_EQ(open.state, AdmissionState::kOpen);
  EXPECT_EQ(open.usable_raw_bytes, 950'000'000'000u);
  EXPECT_EQ(open.physical_limit_logical_bytes, 633'333'333'333u);

  AdmissionAssessment throttled =
      AssessAdmission(Outlook(kFunded * 100), Usage(600'000'000'000, physical), {}, Config());
  EXPECT_EQ(throttled.state, AdmissionState::kThrottled);
  EXPECT_EQ(throttled.reason, AdmissionReason::kPhysicalCapacity);
  EXPECT_THAT(throttled.message, HasSubstr("disks are 94% full"));

  // Raw usage 9.5e11 reaches the usable capacity.
  AdmissionAssessment closed =
      AssessAdmission(Outlook(kFunded * 100), Usage(633'333'333'334, physical), {}, Config());
  EXPECT_EQ(closed.state, AdmissionState::kClosed);
  EXPECT_EQ(closed.reason, AdmissionReason::kPhysicalCapacity);
  EXPECT_DOUBLE_EQ(closed.account_rate_limit_bytes_per_second, 0.0);
  EXPECT_THAT(closed.message, HasSubstr("New uploads are paused"));
  EXPECT_THAT(closed.message, HasSubstr("stored files are safe"));
  EXPECT_THAT(closed.message, HasSubstr("https://donate.example.org/freehold"));
}

TEST(AdmissionAssessmentTest, ReserveBytesWinWhenLargerThanTheFraction) {
  AdmissionConfig config = Config();
  config.physical_reserve_bytes = 200'000'000'000;
  AdmissionAssessment a =
      AssessAdmission(Outlook(kFunded), Usage(1000, 1'000'000'000'000), {}, config);
  EXPECT_EQ(a.usable_raw_bytes, 800'000'000'000u);
}

TEST(AdmissionAssessmentTest, NoStorageNodesIsClosed) {
  AdmissionAssessment a = AssessAdmission(Outlook(kFunded), Usage(0, 0), {}, Config());
  EXPECT_EQ(a.state, AdmissionState::kClosed);
  EXPECT_THAT(a.message, HasSubstr("no storage node is available"));
}

TEST(AdmissionAssessmentTest, TighterLimitGivesTheReasonAndTiesArePhysical) {
  const uint64_t physical_raw = 1'500'000'000'000;  // no reserve below: 1e12 logical
  AdmissionConfig config = Config();
  config.physical_reserve_fraction = 0;
  AdmissionAssessment tie =
      AssessAdmission(Outlook(kFunded), Usage(950'000'000'000, physical_raw), {}, config);
  EXPECT_EQ(tie.reason, AdmissionReason::kPhysicalCapacity);
  AdmissionAssessment funding =
      AssessAdmission(Outlook(kFunded - 1), Usage(950'000'000'000, physical_raw), {}, config);
  EXPECT_EQ(funding.reason, AdmissionReason::kFunding);
}

TEST(WaterFillTest, Levels) {
  const std::vector<double> demands = {1e6, 2e5, 1e4, 1e3};
  EXPECT_NEAR(WaterFillLevel(demands, 1e6), 789000.0, 1e-6);
  EXPECT_NEAR(WaterFillLevel(demands, 3e5), 144500.0, 1e-6);
  EXPECT_NEAR(WaterFillLevel(demands, 2e4), 19000.0 / 3, 1e-6);
  EXPECT_DOUBLE_EQ(WaterFillLevel(demands, 0), 0.0);
  // Everything fits: the largest demand plus the spare.
  EXPECT_NEAR(WaterFillLevel(demands, 1.3e6), 1e6 + 0.089e6, 1e-6);
  EXPECT_DOUBLE_EQ(WaterFillLevel({}, 5.0), 5.0);
}

// Four accounts over a 1000 s window: 1 MB/s, 200 kB/s, 10 kB/s and 1 kB/s.
// The budget is headroom / 10^4 s, so a budget B needs usage funded - B * 10^4.
TEST(AdmissionAssessmentTest, HeaviestWritersAreThrottledFirstSmallOnesLast) {
  RecentWrites recent{absl::Seconds(1000),
                      {{"small", 10'000'000},
                       {"heavy", 1'000'000'000},
                       {"tiny", 1'000'000},
                       {"medium", 200'000'000}}};
  auto assess_at_budget = [&](double budget) {
    uint64_t used = kFunded - static_cast<uint64_t>(budget * 1e4);
    return AssessAdmission(Outlook(kFunded), Usage(used), recent, Config());
  };

  AdmissionAssessment roomy = assess_at_budget(1.3e6);
  EXPECT_EQ(roomy.state, AdmissionState::kThrottled);
  EXPECT_THAT(roomy.throttled_accounts, IsEmpty());

  AdmissionAssessment first = assess_at_budget(1e6);
  EXPECT_NEAR(first.account_rate_limit_bytes_per_second, 789000.0, 1e-3);
  EXPECT_THAT(Names(first.throttled_accounts), ElementsAre("heavy"));

  AdmissionAssessment second = assess_at_budget(3e5);
  EXPECT_NEAR(second.account_rate_limit_bytes_per_second, 144500.0, 1e-3);
  EXPECT_THAT(Names(second.throttled_accounts), ElementsAre("heavy", "medium"));

  AdmissionAssessment third = assess_at_budget(2e4);
  EXPECT_NEAR(third.account_rate_limit_bytes_per_second, 19000.0 / 3, 1e-3);
  EXPECT_THAT(Names(third.throttled_accounts), ElementsAre("heavy", "medium", "small"));

  // At the limit only the floor is left and even the tiny writer is capped.
  AdmissionAssessment end = assess_at_budget(0);
  EXPECT_DOUBLE_EQ(end.account_rate_limit_bytes_per_second, 100.0);
  EXPECT_THAT(Names(end.throttled_accounts), ElementsAre("heavy", "medium", "small", "tiny"));
  EXPECT_DOUBLE_EQ(end.throttled_accounts.front().recent_bytes_per_second, 1e6);
}

TEST(AdmissionAssessmentTest, ValidatesConfigNamingTheField) {
  struct Case {
    void (*mutate)(AdmissionConfig&);
    const char* field;
  };
  const Case cases[] = {
      {[](AdmissionConfig& c) { c.throttle_at = 0; }, "throttle_at"},
      {[](AdmissionConfig& c) { c.throttle_at = 1.1; }, "throttle_at"},
      {[](AdmissionConfig& c) { c.physical_reserve_fraction = 1; }, "physical_reserve_fraction"},
      {[](AdmissionConfig& c) { c.throttle_horizon = absl::ZeroDuration(); }, "throttle_horizon"},
      {[](AdmissionConfig& c) { c.min_account_rate_bytes_per_second = 0; },
       "min_account_rate_bytes_per_second"},
      {[](AdmissionConfig& c) { c.burst = absl::InfiniteDuration(); }, "burst"},
      {[](AdmissionConfig& c) { c.donate_url.clear(); }, "donate_url"},
  };
  EXPECT_TRUE(ValidateAdmissionConfig(Config()).ok());
  for (const Case& c : cases) {
    AdmissionConfig config = Config();
    c.mutate(config);
    absl::Status status = ValidateAdmissionConfig(config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.field));
  }
}

TEST(FormatBytesTest, UsesIecUnits) {
  EXPECT_EQ(FormatBytes(17), "17 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(static_cast<double>(uint64_t{3} << 40)), "3.00 TiB");
}

}  // namespace
}  // namespace freehold::funding
