// The funding monitor, the admission adapter and the donations mapping in the
// coordinator core, with fake usage and donation figures and a FakeClock.
#include "coordinator/core/funding_monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cmath>
#include <map>
#include <optional>

#include "billing-free/admission_policy.h"
#include "common/clock.h"
#include "coordinator/core/config.h"
#include "coordinator/core/donations_report.h"
#include "coordinator/core/funding_config.h"
#include "coordinator/core/funding_metrics.h"
#include "coordinator/core/policy_admission.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr char kDonate[] = "https://freehold.example/donate";
const char kHeavy[] = "11111111-1111-4111-8111-111111111111";
const char kSmall[] = "22222222-2222-4222-8222-222222222222";

class FakeUsage : public UsageSource {
 public:
  absl::StatusOr<UsageFigures> Read(absl::Time since) override {
    last_since = since;
    if (!error.ok()) return error;
    return figures;
  }
  UsageFigures figures;
  absl::Status error;
  absl::Time last_since;
};

class FakeDonations : public DonationsFeed {
 public:
  absl::StatusOr<DonationsReport> Fetch() override {
    ++calls;
    if (!error.ok()) return error;
    return report;
  }
  DonationsReport report;
  absl::Status error;
  int calls = 0;
};

// Cost model where one minor unit of monthly income funds 1 MiB of raw disk.
funding::CostModel MiBPerCentModel() {
  funding::CostModel m;
  m.currency = "EUR";
  m.cost_per_tib_month_minor = int64_t{1} << 20;
  m.fixed_monthly_minor = 0;
  m.default_raw_overhead = 1.5;
  return m;
}

DonationsReport OneOffThisMonth(int64_t cents, absl::Time now) {
  DonationsReport r;
  r.base_currency = "EUR";
  r.as_of = now;
  r.this_month_net_base_minor = cents;
  r.balance_base_minor = cents;
  return r;
}

std::optional<double> MetricValue(prometheus::Registry& registry, const std::string& name,
                                  const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    if (f.name != name) continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return std::nullopt;
}

class FundingMonitorTest : public ::testing::Test {
 protected:
  void Make(bool with_donations) {
    funding::AdmissionConfig config;
    config.throttle_at = 0.8;
    config.throttle_on_funding = with_donations;
    config.physical_reserve_fraction = 0.05;
    config.throttle_horizon = absl::Hours(1);
    config.min_account_rate_bytes_per_second = 1;
    config.burst = absl::Seconds(10);
    config.donate_url = kDonate;
    policy_ = std::make_unique<funding::AdmissionPolicy>(config);
    metrics_ = std::make_unique<FundingMetrics>(registry_, "EUR");
    admission_ = std::make_unique<PolicyAdmission>(*policy_, clock_, metrics_.get());
    monitor_ = std::make_unique<FundingMonitor>(
        usage_, with_donations ? &donations_ : nullptr, clock_, MiBPerCentModel(),
        FundingMonitorOptions{absl::Hours(1), absl::Hours(24), kDonate}, *policy_, metrics_.get(),
        Logger("funding-test", LogLevel::kError));
  }

  // 60 MiB stored (90 MiB raw) on 10 GiB of disks; the heavy account wrote
  // 50 MiB in the last hour, the small one 1 KiB.
  void SetBusyUsage() {
    usage_.figures.logical_bytes = 60 * kMiB;
    usage_.figures.raw_bytes = 90 * kMiB;
    usage_.figures.physical_raw_capacity_bytes = 10 * kGiB;
    usage_.figures.recent = {{kHeavy, 50 * kMiB}, {kSmall, 1024}};
  }

  absl::Status Write(const std::string& account, uint64_t bytes) {
    WriteRequest w;
    w.account_id = account;
    w.object_id = "33333333-3333-4333-8333-333333333333";
    w.logical_bytes = bytes;
    w.raw_bytes = bytes * 3 / 2;
    return admission_->AdmitWrite(w);
  }

  FakeClock clock_{absl::FromUnixSeconds(1795000000)};  // 2026-11-18
  FakeUsage usage_;
  FakeDonations donations_;
  prometheus::Registry registry_;
  std::unique_ptr<funding::AdmissionPolicy> policy_;
  std::unique_ptr<FundingMetrics> metrics_;
  std::unique_ptr<PolicyAdmission> admission_;
  std::unique_ptr<FundingMonitor> monitor_;
};

TEST(SummaryFromReportTest, SubtractsRecurringAndConvertsThisMonthsRefundsToBase) {
  DonationsReport r;
  r.base_currency = "EUR";
  r.as_of = absl::FromUnixSeconds(1795000000);  // November 2026 (UTC)
  r.months = {{"2026-11", "EUR", 5000, 1000, 4000, 4000},
              {"2026-11", "USD", 1000, 500, 500, 460},
              {"2026-10", "EUR", 9000, 999, 8001, 8001}};
  r.this_month_net_base_minor = 4460;
  r.monthly_recurring_base_minor = 2000;
  r.trailing_one_off_average_base_minor = -50;  // refunds exceeded one-offs
  r.balance_base_minor = -12345;
  funding::FundingSummary s = SummaryFromReport(r);
  EXPECT_EQ(s.currency, "EUR");
  EXPECT_EQ(s.refunds_this_month_minor, 1000 + 460);
  // gross = net + refunds = 5920; minus the pledges' monthly equivalent.
  EXPECT_EQ(s.one_off_this_month_minor, 5920 - 2000);
  EXPECT_EQ(s.recurring_monthly_minor, 2000);
  EXPECT_EQ(s.one_off_trailing_average_minor, 0);
  EXPECT_EQ(s.balance_minor, -12345);
  EXPECT_OK(funding::ValidateFundingSummary(s));
}

TEST(SummaryFromReportTest, NoDonationsYetIsAllZeroAndValid) {
  DonationsReport r;
  r.base_currency = "EUR";
  r.as_of = absl::FromUnixSeconds(1795000000);
  funding::FundingSummary s = SummaryFromReport(r);
  EXPECT_EQ(s.one_off_this_month_minor, 0);
  EXPECT_EQ(s.refunds_this_month_minor, 0);
  EXPECT_OK(funding::ValidateFundingSummary(s));
}

TEST(SummaryFromReportTest, PledgesLargerThanThisMonthsPaymentsNeverMakeOneOffsNegative) {
  DonationsReport r = OneOffThisMonth(300, absl::FromUnixSeconds(1795000000));
  r.monthly_recurring_base_minor = 1000;
  funding::FundingSummary s = SummaryFromReport(r);
  EXPECT_EQ(s.one_off_this_month_minor, 0);
  EXPECT_EQ(s.recurring_monthly_minor, 1000);
}

TEST_F(FundingMonitorTest, OpenFarBelowBothLimitsAndExportsTheFigures) {
  Make(true);
  usage_.figures.logical_bytes = 10 * kMiB;
  usage_.figures.raw_bytes = 15 * kMiB;
  usage_.figures.physical_raw_capacity_bytes = 10 * kGiB;
  donations_.report = OneOffThisMonth(1000, clock_.Now());  // 10.00 EUR -> 1000 MiB raw
  ASSERT_OK(monitor_->Refresh());
  std::optional<FundingSnapshot> snap = monitor_->Snapshot();
  ASSERT_TRUE(snap.has_value());
  EXPECT_TRUE(snap->funding_known);
  EXPECT_EQ(snap->admission_state, funding::AdmissionState::kOpen);
  EXPECT_EQ(snap->outlook.monthly_income_minor, 1000);
  EXPECT_EQ(snap->outlook.funded_raw_bytes, 1000 * kMiB);
  EXPECT_EQ(snap->donate_url, kDonate);
  EXPECT_OK(Write(kHeavy, 64 * kMiB));
  EXPECT_EQ(usage_.last_since, clock_.Now() - absl::Hours(1));

  EXPECT_EQ(MetricValue(registry_, "freehold_admission_state"), 0.0);
  EXPECT_EQ(MetricValue(registry_, "freehold_funded_capacity_bytes"),
            static_cast<double>(snap->outlook.funded_logical_bytes));
  EXPECT_EQ(MetricValue(registry_, "freehold_funding_monthly_income", {{"currency", "EUR"}}), 10.0);
  EXPECT_TRUE(MetricValue(registry_, "freehold_funding_monthly_cost", {{"currency", "EUR"}}));
  EXPECT_TRUE(MetricValue(registry_, "freehold_funding_coverage_ratio"));
  EXPECT_EQ(MetricValue(registry_, "freehold_funding_runway_seconds"),
            std::numeric_limits<double>::infinity());
}

TEST_F(FundingMonitorTest, ThrottlesTheHeaviestWriterFirstWhileASmallWriterStillPasses) {
  Make(true);
  SetBusyUsage();
  donations_.report = OneOffThisMonth(100, clock_.Now());  // 100 MiB raw = 66.7 MiB logical
  ASSERT_OK(monitor_->Refresh());
  std::optional<FundingSnapshot> snap = monitor_->Snapshot();
  ASSERT_EQ(snap->admission_state, funding::AdmissionState::kThrottled);
  EXPECT_EQ(snap->admission_reason, funding::AdmissionReason::kFunding);
  EXPECT_THAT(snap->admission_message, HasSubstr(kDonate));
  EXPECT_EQ(MetricValue(registry_, "freehold_admission_state"), 1.0);

  // The heavy writer's first segment drains its bucket; the next is delayed.
  EXPECT_OK(Write(kHeavy, kMiB));
  absl::Status delayed = Write(kHeavy, kMiB);
  EXPECT_THAT(delayed, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr(kDonate)));
  EXPECT_THAT(std::string(delayed.message()), HasSubstr("retry in"));
  std::optional<absl::Duration> wait = RetryAfterOf(delayed);
  ASSERT_TRUE(wait.has_value());
  EXPECT_GE(*wait, absl::Seconds(60));
  // The small writer, far below the fair-share level, is not affected.
  EXPECT_OK(Write(kSmall, 4096));
  EXPECT_OK(Write(kSmall, 4096));
  EXPECT_EQ(MetricValue(registry_, "freehold_admission_throttled_total", {{"reason", "funding"}}),
            1.0);

  // A donation raises funded capacity and lifts the throttle.
  donations_.report = OneOffThisMonth(10000, clock_.Now());
  ASSERT_OK(monitor_->Refresh());
  EXPECT_EQ(monitor_->Snapshot()->admission_state, funding::AdmissionState::kOpen);
  EXPECT_OK(Write(kHeavy, kMiB));
  EXPECT_EQ(MetricValue(registry_, "freehold_admission_state"), 0.0);
}

TEST_F(FundingMonitorTest, PastPhysicalCapacityRefusesWithoutRetryAfter) {
  Make(true);
  usage_.figures.logical_bytes = 6 * kGiB;
  usage_.figures.raw_bytes = 9 * kGiB + 700 * kMiB;  // above 95% of 10 GiB
  usage_.figures.physical_raw_capacity_bytes = 10 * kGiB;
  donations_.report = OneOffThisMonth(1000000, clock_.Now());
  ASSERT_OK(monitor_->Refresh());
  EXPECT_EQ(monitor_->Snapshot()->admission_state, funding::AdmissionState::kClosed);
  absl::Status refused = Write(kSmall, 100);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted,
                                ::testing::AllOf(HasSubstr("full"), HasSubstr(kDonate))));
  EXPECT_FALSE(RetryAfterOf(refused).has_value());
  EXPECT_EQ(MetricValue(registry_, "freehold_admission_throttled_total",
                        {{"reason", "physical_capacity"}}),
            1.0);
  EXPECT_EQ(MetricValue(registry_, "freehold_admission_state"), 2.0);
}

TEST_F(FundingMonitorTest, NoStorageNodeYetLeavesAdmissionOpenForPlacementToAnswer) {
  Make(true);
  donations_.report = OneOffThisMonth(100, clock_.Now());
  ASSERT_OK(monitor_->Refresh());  // a fresh cluster: no daemon registered yet
  EXPECT_EQ(monitor_->Snapshot()->admission_state, funding::AdmissionState::kOpen);
  EXPECT_OK(Write(kSmall, 100));
  // Once daemons register, the next refresh applies the real state.
  SetBusyUsage();
  ASSERT_OK(monitor_->Refresh());
  EXPECT_EQ(monitor_->Snapshot()->admission_state, funding::AdmissionState::kThrottled);
}

TEST_F(FundingMonitorTest, UnreachableDonationsNeverThrottleButDisksStillClose) {
  Make(true);
  SetBusyUsage();
  donations_.error = absl::UnavailableError("connection refused");
  EXPECT_THAT(monitor_->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  std::optional<FundingSnapshot> snap = monitor_->Snapshot();
  ASSERT_TRUE(snap.has_value());
  EXPECT_FALSE(snap->funding_known);
  EXPECT_THAT(snap->funding_error, HasSubstr("connection refused"));
  EXPECT_EQ(snap->admission_state, funding::AdmissionState::kOpen);
  EXPECT_FALSE(MetricValue(registry_, "freehold_funded_capacity_bytes").has_value());

  usage_.figures.raw_bytes = 10 * kGiB;
  EXPECT_THAT(monitor_->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(monitor_->Snapshot()->admission_state, funding::AdmissionState::kClosed);
}

TEST_F(FundingMonitorTest, KeepsTheLastDonationFiguresWhenTheServiceGoesAway) {
  Make(true);
  SetBusyUsage();
  donations_.report = OneOffThisMonth(100, clock_.Now());
  ASSERT_OK(monitor_->Refresh());
  donations_.error = absl::UnavailableError("connection refused");
  EXPECT_THAT(monitor_->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  std::optional<FundingSnapshot> snap = monitor_->Snapshot();
  EXPECT_TRUE(snap->funding_known);
  EXPECT_THAT(snap->funding_error, HasSubstr("stale"));
  EXPECT_EQ(snap->outlook.monthly_income_minor, 100);
  EXPECT_EQ(snap->admission_state, funding::AdmissionState::kThrottled);
}

TEST_F(FundingMonitorTest, SummaryInAnotherCurrencyIsRejectedAndTreatedAsUnknown) {
  Make(true);
  SetBusyUsage();
  donations_.report = OneOffThisMonth(100, clock_.Now());
  donations_.report.base_currency = "USD";
  EXPECT_THAT(monitor_->Refresh(), StatusIs(absl::StatusCode::kInvalidArgument));
  std::optional<FundingSnapshot> snap = monitor_->Snapshot();
  EXPECT_FALSE(snap->funding_known);
  EXPECT_THAT(snap->funding_error, HasSubstr("rejected"));
  EXPECT_EQ(snap->admission_state, funding::AdmissionState::kOpen);
}

TEST_F(FundingMonitorTest, WithoutDonationIntakeOnlyPhysicalCapacityThrottles) {
  Make(false);
  SetBusyUsage();
  ASSERT_OK(monitor_->Refresh());
  std::optional<FundingSnapshot> snap = monitor_->Snapshot();
  EXPECT_TRUE(snap->funding_known);
  EXPECT_FALSE(snap->donations_configured);
  EXPECT_EQ(snap->outlook.monthly_income_minor, 0);
  EXPECT_EQ(snap->outlook.funded_logical_bytes, 0u);
  EXPECT_EQ(snap->admission_state, funding::AdmissionState::kOpen);
  EXPECT_EQ(donations_.calls, 0);
  EXPECT_OK(Write(kHeavy, 64 * kMiB));
}

TEST_F(FundingMonitorTest, UsageErrorKeepsThePreviousState) {
  Make(true);
  SetBusyUsage();
  donations_.report = OneOffThisMonth(100, clock_.Now());
  ASSERT_OK(monitor_->Refresh());
  usage_.error = absl::UnavailableError("database down");
  EXPECT_THAT(monitor_->Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(monitor_->Snapshot()->admission_state, funding::AdmissionState::kThrottled);
}

TEST_F(FundingMonitorTest, GrowthIsMeasuredOverTheWindow) {
  Make(false);
  usage_.figures.physical_raw_capacity_bytes = 10 * kGiB;
  usage_.figures.logical_bytes = 1000;
  usage_.figures.raw_bytes = 1500;
  ASSERT_OK(monitor_->Refresh());
  EXPECT_EQ(monitor_->Snapshot()->usage.logical_growth_bytes_per_second, 0);
  clock_.Advance(absl::Seconds(100));
  usage_.figures.logical_bytes = 2000;
  usage_.figures.raw_bytes = 3000;
  ASSERT_OK(monitor_->Refresh());
  EXPECT_DOUBLE_EQ(monitor_->Snapshot()->usage.logical_growth_bytes_per_second, 10.0);
  // Past the window the old sample is dropped: no growth since.
  clock_.Advance(absl::Hours(25));
  ASSERT_OK(monitor_->Refresh());
  clock_.Advance(absl::Hours(25));
  ASSERT_OK(monitor_->Refresh());
  EXPECT_DOUBLE_EQ(monitor_->Snapshot()->usage.logical_growth_bytes_per_second, 0.0);
}

TEST(FundingSettingsTest, ValidationNamesTheBadFlag) {
  FundingSettings ok;
  EXPECT_OK(ok.Validate());
  FundingSettings s = ok;
  s.admission.throttle_at = 1.5;
  EXPECT_THAT(s.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--throttle-at")));
  s = ok;
  s.admission.physical_reserve_fraction = 1;
  EXPECT_THAT(s.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("--physical-reserve-fraction")));
  s = ok;
  s.admission.min_account_rate_bytes_per_second = 0;
  EXPECT_THAT(s.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--min-account-rate")));
  s = ok;
  s.refresh = absl::ZeroDuration();
  EXPECT_THAT(s.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--funding-refresh")));
  s = ok;
  s.admission.donate_url = "";
  EXPECT_THAT(s.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--donate-url")));
  // The coordinator's config validates it too.
  CoordinatorConfig c;
  c.funding.admission.throttle_horizon = absl::ZeroDuration();
  EXPECT_THAT(c.Validate(false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--throttle-horizon")));
}

TEST(FundingSettingsTest, FundingThrottlesOnlyWithADonationsService) {
  FundingSettings s;
  EXPECT_FALSE(s.Admission().throttle_on_funding);
  s.donations = "127.0.0.1:7400";
  EXPECT_TRUE(s.Admission().throttle_on_funding);
}

TEST(CostModelFileTest, DefaultsWithoutAFileAndNamesABadFile) {
  absl::StatusOr<funding::CostModel> m = LoadCostModel("");
  ASSERT_OK(m.status());
  EXPECT_EQ(m->currency, "EUR");
  EXPECT_OK(funding::ValidateCostModel(*m));
  EXPECT_THAT(LoadCostModel("/nonexistent/cost.conf"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("--cost-model"), HasSubstr("/nonexistent"))));
  absl::StatusOr<funding::CostModel> example =
      LoadCostModel(std::string(FREEHOLD_SOURCE_DIR) + "/billing-free/cost_model.example.conf");
  EXPECT_OK(example.status());
}

}  // namespace
}  // namespace freehold::coordinator
