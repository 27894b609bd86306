// The funding model's formulas with worked numbers, including the edges: no
// donations yet, zero usage, income exactly equal to cost, refunds making the
// month negative, zero and negative growth.
#include "billing-free/funding_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace freehold::funding {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kTiB = kBytesPerTiB;
constexpr double kMiB = 1 << 20;

// 10.00 EUR per TiB-month of raw disk, 500.00 EUR fixed per month.
CostModel Costs() { return CostModel{"EUR", 1000, 50000, 1.5}; }

// 40 TiB stored as 60 TiB raw (overhead 1.5) on 200 TiB of disks, growing 1 MiB/s.
StorageUsage TypicalUsage() { return StorageUsage{40 * kTiB, 60 * kTiB, 200 * kTiB, kMiB}; }

FundingOutlook MustCompute(const FundingSummary& summary, const CostModel& costs,
                           const StorageUsage& usage) {
  absl::StatusOr<FundingOutlook> outlook = ComputeFunding(summary, costs, usage);
  EXPECT_TRUE(outlook.ok()) << outlook.status();
  return outlook.ok() ? *outlook : FundingOutlook{};
}

TEST(FundingModelTest, WorkedExample) {
  FundingSummary summary{"EUR",
                         /*one_off_this_month=*/20000,
                         /*refunds=*/1000,
                         /*recurring=*/80000,
                         /*trailing_average=*/30000,
                         /*balance=*/1'000'000};
  FundingOutlook out = MustCompute(summary, Costs(), TypicalUsage());
  EXPECT_EQ(out.currency, "EUR");
  // 80000 recurring + max(30000 trailing, 20000 this month) - 1000 refunds.
  EXPECT_EQ(out.monthly_income_minor, 109000);
  // 50000 fixed + 60 TiB * 1000 per TiB.
  EXPECT_EQ(out.monthly_cost_minor, 110000);
  EXPECT_DOUBLE_EQ(out.coverage_ratio, 109000.0 / 110000.0);
  EXPECT_EQ(out.balance_minor, 1'000'000);
  // Burning 1000 a month from 1,000,000: 1000 months.
  EXPECT_EQ(out.runway, absl::Seconds(1000 * kSecondsPerMonth));
  EXPECT_DOUBLE_EQ(out.raw_overhead, 1.5);
  // (109000 - 50000) / 1000 = 59 TiB raw, 2/3 of it logical.
  EXPECT_EQ(out.funded_raw_bytes, 59 * kTiB);
  EXPECT_EQ(out.funded_logical_bytes, 59 * kTiB * 2 / 3);
  EXPECT_EQ(out.physical_logical_capacity_bytes, 200 * kTiB * 2 / 3);
  // 40 TiB stored is past the 39.33 TiB funded: reached already.
  EXPECT_EQ(out.time_to_funded_capacity, absl::ZeroDuration());
  EXPECT_EQ(out.time_to_physical_capacity,
            absl::Seconds(static_cast<double>(200 * kTiB * 2 / 3 - 40 * kTiB) / kMiB));
}

TEST(FundingModelTest, CurrentMonthCountsWhenAboveTrailingAverage) {
  FundingSummary summary{"EUR", 45000, 0, 80000, 30000, 0};
  EXPECT_EQ(MustCompute(summary, Costs(), TypicalUsage()).monthly_income_minor, 125000);
}

TEST(FundingModelTest, IncomeExactlyEqualToCost) {
  FundingSummary summary{"EUR", 0, 0, 110000, 0, 5000};
  FundingOutlook out = MustCompute(summary, Costs(), TypicalUsage());
  EXPECT_EQ(out.monthly_income_minor, out.monthly_cost_minor);
  EXPECT_DOUBLE_EQ(out.coverage_ratio, 1.0);
  EXPECT_EQ(out.runway, absl::InfiniteDuration());
  EXPECT_EQ(out.funded_raw_bytes, 60 * kTiB);
  EXPECT_EQ(out.funded_logical_bytes, 40 * kTiB);  // exactly what is stored
  EXPECT_EQ(out.time_to_funded_capacity, absl::ZeroDuration());

  // One more cent funds 2^40 / 1000 more raw bytes and moves the horizon out.
  summary.recurring_monthly_minor += 1;
  FundingOutlook more = MustCompute(summary, Costs(), TypicalUsage());
  EXPECT_EQ(more.funded_raw_bytes, 60 * kTiB + kTiB / 1000);
  EXPECT_GT(more.time_to_funded_capacity, absl::ZeroDuration());
  EXPECT_LT(more.time_to_funded_capacity, absl::InfiniteDuration());
}

TEST(FundingModelTest, NoDonationsYet) {
  FundingSummary summary;  // empty currency: nothing recorded yet
  StorageUsage usage{0, 0, 100 * kTiB, 0};
  FundingOutlook out = MustCompute(summary, Costs(), usage);
  EXPECT_EQ(out.monthly_income_minor, 0);
  EXPECT_EQ(out.monthly_cost_minor, 50000);  // fixed costs only
  EXPECT_DOUBLE_EQ(out.coverage_ratio, 0.0);
  EXPECT_EQ(out.runway, absl::ZeroDuration());  // nothing in the bank
  EXPECT_EQ(out.funded_raw_bytes, 0u);
  EXPECT_EQ(out.funded_logical_bytes, 0u);
  EXPECT_EQ(out.time_to_funded_capacity, absl::ZeroDuration());
  // No data yet: the default overhead converts capacity to logical bytes.
  EXPECT_DOUBLE_EQ(out.raw_overhead, 1.5);
  EXPECT_EQ(out.physical_logical_capacity_bytes, 100 * kTiB * 2 / 3);
  EXPECT_EQ(out.time_to_physical_capacity, absl::InfiniteDuration());
}

TEST(FundingModelTest, ZeroUsageUsesDefaultOverheadAndOnlyFixedCost) {
  FundingSummary summary{"EUR", 0, 0, 70000, 0, 200000};
  StorageUsage usage{0, 0, 100 * kTiB, 0};
  FundingOutlook out = MustCompute(summary, Costs(), usage);
  EXPECT_EQ(out.monthly_cost_minor, 50000);
  EXPECT_DOUBLE_EQ(out.coverage_ratio, 1.4);
  EXPECT_EQ(out.runway, absl::InfiniteDuration());
  EXPECT_EQ(out.funded_raw_bytes, 20 * kTiB);
  EXPECT_EQ(out.funded_logical_bytes,
            static_cast<uint64_t>(static_cast<long double>(20 * kTiB) / 1.5L));
  EXPECT_EQ(out.time_to_funded_capacity, absl::InfiniteDuration());  // growth 0
}

TEST(FundingModelTest, VariableCostRoundsUpToAWholeMinorUnit) {
  // One raw byte costs 1000 / 2^40 of a cent, charged as one cent; 1.5 TiB
  // costs exactly 1500.
  FundingSummary summary;
  EXPECT_EQ(MustCompute(summary, Costs(), StorageUsage{1, 1, kTiB, 0}).monthly_cost_minor, 50001);
  EXPECT_EQ(
      MustCompute(summary, Costs(), StorageUsage{kTiB, kTiB * 3 / 2, kTiB, 0}).monthly_cost_minor,
      51500);
}

TEST(FundingModelTest, NothingToPayAndNothingReceivedIsCovered) {
  FundingOutlook out =
      MustCompute(FundingSummary{}, CostModel{"EUR", 1000, 0, 1.5}, StorageUsage{0, 0, kTiB, 0});
  EXPECT_EQ(out.monthly_cost_minor, 0);
  EXPECT_DOUBLE_EQ(out.coverage_ratio, 1.0);
  EXPECT_EQ(out.runway, absl::InfiniteDuration());
}

TEST(FundingModelTest, RefundsMakingTheMonthNegative) {
  FundingSummary summary{"EUR", 10000, 25000, 0, 0, 300000};
  FundingOutlook out = MustCompute(summary, Costs(), TypicalUsage());
  EXPECT_EQ(out.monthly_income_minor, -15000);
  EXPECT_DOUBLE_EQ(out.coverage_ratio, -15000.0 / 110000.0);
  EXPECT_EQ(out.funded_raw_bytes, 0u);
  EXPECT_EQ(out.funded_logical_bytes, 0u);
  // Net burn 125000 a month: the balance lasts 300000/125000 = 2.4 months.
  EXPECT_EQ(out.runway, absl::Seconds(300000 * kSecondsPerMonth / 125000));
}

TEST(FundingModelTest, NegativeBalanceHasNoRunway) {
  FundingSummary summary{"EUR", 0, 0, 1000, 0, -500};
  EXPECT_EQ(MustCompute(summary, Costs(), TypicalUsage()).runway, absl::ZeroDuration());
}

TEST(FundingModelTest, RunwayRoundsDownToWholeSeconds) {
  // Burn 11 per month from a balance of 1: 239067.8 s, floored.
  FundingSummary summary{"EUR", 0, 0, 49989, 0, 1};
  FundingOutlook out = MustCompute(summary, Costs(), StorageUsage{0, 0, kTiB, 0});
  EXPECT_EQ(out.runway, absl::Seconds(239067));
}

TEST(FundingModelTest, ZeroAndNegativeGrowthNeverReachCapacity) {
  FundingSummary summary{"EUR", 0, 0, 200000, 0, 0};  // funds 150 TiB raw, 100 TiB logical
  StorageUsage usage = TypicalUsage();
  usage.logical_growth_bytes_per_second = 0;
  FundingOutlook flat = MustCompute(summary, Costs(), usage);
  EXPECT_EQ(flat.funded_logical_bytes, 100 * kTiB);
  EXPECT_EQ(flat.time_to_funded_capacity, absl::InfiniteDuration());
  EXPECT_EQ(flat.time_to_physical_capacity, absl::InfiniteDuration());

  usage.logical_growth_bytes_per_second = -kMiB;
  FundingOutlook shrinking = MustCompute(summary, Costs(), usage);
  EXPECT_EQ(shrinking.time_to_funded_capacity, absl::InfiniteDuration());
  EXPECT_EQ(shrinking.time_to_physical_capacity, absl::InfiniteDuration());

  // Shrinking but still past capacity: reached, not "never".
  usage.physical_raw_capacity_bytes = 30 * kTiB;
  EXPECT_EQ(MustCompute(summary, Costs(), usage).time_to_physical_capacity, absl::ZeroDuration());
}

TEST(FundingModelTest, GrowthProjectsTimeToFundedCapacity) {
  FundingSummary summary{"EUR", 0, 0, 200000, 0, 0};  // 100 TiB logical funded
  StorageUsage usage = TypicalUsage();                // 40 TiB used, 1 MiB/s
  FundingOutlook out = MustCompute(summary, Costs(), usage);
  EXPECT_EQ(out.time_to_funded_capacity, absl::Seconds(60.0 * kTiB / kMiB));
}

TEST(FundingModelTest, HugeIncomeSaturatesInsteadOfOverflowing) {
  FundingSummary summary{"EUR", 0, 0, kMaxMoneyMinor, 0, kMaxMoneyMinor};
  FundingOutlook out = MustCompute(summary, CostModel{"EUR", 1, 0, 1.5}, TypicalUsage());
  EXPECT_EQ(out.funded_raw_bytes, std::numeric_limits<uint64_t>::max());
  // Two thirds (logical/raw = 40/60) of the saturated raw figure.
  EXPECT_EQ(out.funded_logical_bytes,
            static_cast<uint64_t>(
                static_cast<unsigned __int128>(std::numeric_limits<uint64_t>::max()) * 2 / 3));
  EXPECT_EQ(out.runway, absl::InfiniteDuration());
}

TEST(FundingModelTest, CostBeyondLimitIsOutOfRange) {
  StorageUsage usage{uint64_t{1} << 62, uint64_t{1} << 62, uint64_t{1} << 63, 0};
  absl::StatusOr<FundingOutlook> out =
      ComputeFunding(FundingSummary{}, CostModel{"EUR", kMaxMoneyMinor, 0, 1.5}, usage);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(FundingModelTest, RejectsInvalidInputNamingTheField) {
  struct Case {
    FundingSummary summary;
    StorageUsage usage;
    const char* field;
  };
  const Case cases[] = {
      {FundingSummary{"EUR", -1, 0, 0, 0, 0}, TypicalUsage(), "one_off_this_month_minor"},
      {FundingSummary{"EUR", 0, -1, 0, 0, 0}, TypicalUsage(), "refunds_this_month_minor"},
      {FundingSummary{"EUR", 0, 0, kMaxMoneyMinor + 1, 0, 0}, TypicalUsage(),
       "recurring_monthly_minor"},
      {FundingSummary{"EUR", 0, 0, 0, -3, 0}, TypicalUsage(), "one_off_trailing_average_minor"},
      {FundingSummary{"EUR", 0, 0, 0, 0, -kMaxMoneyMinor - 1}, TypicalUsage(), "balance_minor"},
      {FundingSummary{"USD", 0, 0, 0, 0, 0}, TypicalUsage(), "currency 'USD'"},
      {FundingSummary{}, StorageUsage{5, 0, 10, 0}, "raw_bytes"},
      {FundingSummary{}, StorageUsage{0, 0, 10, std::nan("")}, "logical_growth_bytes_per_second"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FundingOutlook> out = ComputeFunding(c.summary, Costs(), c.usage);
    ASSERT_FALSE(out.ok()) << c.field;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(c.field));
  }
  absl::StatusOr<FundingOutlook> bad_costs =
      ComputeFunding(FundingSummary{}, CostModel{"EUR", 0, 0, 1.5}, TypicalUsage());
  EXPECT_THAT(std::string(bad_costs.status().message()),
              HasSubstr("cost model: cost_per_tib_month_minor"));
}

}  // namespace
}  // namespace freehold::funding

namespace freehold::funding {
namespace {

// Donated disks (in-kind): their raw capacity joins the funded capacity as it is, their
// value is priced at cost_per_tib_month and never enters income, cost or coverage.
TEST(FundingModelInKindTest, DonatedCapacityIsFundedAndPricedButNotIncome) {
  FundingSummary summary{"EUR", 20000, 1000, 80000, 30000, 1'000'000};
  const FundingOutlook money = MustCompute(summary, Costs(), TypicalUsage());
  absl::StatusOr<FundingOutlook> with =
      ComputeFunding(summary, Costs(), TypicalUsage(), InKindCapacity{2, 3 * kTiB});
  ASSERT_TRUE(with.ok()) << with.status();
  // Income 109000 - fixed 50000 = 59000 at 1000 per TiB: 59 TiB raw from money.
  EXPECT_EQ(with->money_funded_raw_bytes, 59 * kTiB);
  EXPECT_EQ(with->funded_raw_bytes, 62 * kTiB);
  // Logical at the measured overhead 1.5.
  EXPECT_EQ(with->money_funded_logical_bytes, 59 * kTiB * 2 / 3);
  EXPECT_EQ(with->inkind_logical_bytes, 2 * kTiB);
  EXPECT_EQ(with->funded_logical_bytes, 62 * kTiB * 2 / 3);
  EXPECT_EQ(with->inkind_nodes, 2u);
  EXPECT_EQ(with->inkind_raw_bytes, 3 * kTiB);
  EXPECT_EQ(with->inkind_value_minor, 3000);  // 3 TiB at 10.00 EUR
  // Money figures unchanged.
  EXPECT_EQ(with->monthly_income_minor, money.monthly_income_minor);
  EXPECT_EQ(with->monthly_cost_minor, money.monthly_cost_minor);
  EXPECT_DOUBLE_EQ(with->coverage_ratio, money.coverage_ratio);
  EXPECT_EQ(with->runway, money.runway);
  // Without in-kind, funded equals money funded.
  EXPECT_EQ(money.funded_logical_bytes, money.money_funded_logical_bytes);
  EXPECT_EQ(money.inkind_value_minor, 0);
  // More room before the funded capacity is reached.
  EXPECT_GT(with->time_to_funded_capacity, money.time_to_funded_capacity);
}

TEST(FundingModelInKindTest, ValueIsFlooredAndCapped) {
  EXPECT_EQ(InKindValueMinor(kTiB / 2, Costs()), 500);
  EXPECT_EQ(InKindValueMinor(kTiB - 1, Costs()), 999);
  EXPECT_EQ(InKindValueMinor(0, Costs()), 0);
  CostModel dear{"EUR", kMaxMoneyMinor, 0, 1.5};
  EXPECT_EQ(InKindValueMinor(std::numeric_limits<uint64_t>::max(), dear), kMaxMoneyMinor);
  // Funded raw saturates instead of wrapping.
  absl::StatusOr<FundingOutlook> huge =
      ComputeFunding(FundingSummary{"EUR", 0, 0, 10'000'000, 0, 0}, Costs(), TypicalUsage(),
                     InKindCapacity{1, std::numeric_limits<uint64_t>::max()});
  ASSERT_TRUE(huge.ok()) << huge.status();
  EXPECT_EQ(huge->funded_raw_bytes, std::numeric_limits<uint64_t>::max());
}

}  // namespace
}  // namespace freehold::funding
