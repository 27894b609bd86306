// freehold.v1.Funding in-process on port 0 through the generated stub: public,
// aggregate-only, UNAVAILABLE before the first refresh.
#include "coordinator/grpc/funding_service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cmath>

#include "billing-free/admission_policy.h"
#include "common/clock.h"
#include "common/grpc_server.h"
#include "coordinator/core/funding_monitor.h"
#include "freehold/v1/funding.grpc.pb.h"

namespace freehold::coordinator {
namespace {

using ::testing::HasSubstr;

class StaticUsage : public UsageSource {
 public:
  absl::StatusOr<UsageFigures> Read(absl::Time) override { return figures; }
  UsageFigures figures;
};

class StaticDonations : public DonationsFeed {
 public:
  absl::StatusOr<DonationsReport> Fetch() override { return report; }
  DonationsReport report;
};

TEST(FundingServiceTest, ServesAggregateFiguresWithoutCredentials) {
  FakeClock clock(absl::FromUnixSeconds(1795000000));
  StaticUsage usage;
  usage.figures.logical_bytes = 1000;
  usage.figures.raw_bytes = 1500;
  usage.figures.physical_raw_capacity_bytes = uint64_t{1} << 40;
  usage.figures.recent = {{"11111111-1111-4111-8111-111111111111", 1000}};
  StaticDonations donations;
  donations.report.base_currency = "EUR";
  donations.report.as_of = clock.Now();
  donations.report.this_month_net_base_minor = 200000;
  donations.report.balance_base_minor = 500000;
  funding::AdmissionConfig config;
  config.donate_url = "https://freehold.example/help";
  funding::AdmissionPolicy policy(config);
  funding::CostModel model;
  model.currency = "EUR";
  model.cost_per_tib_month_minor = 1200;
  model.fixed_monthly_minor = 150000;
  FundingMonitor monitor(usage, &donations, clock, model,
                         FundingMonitorOptions{absl::Hours(1), absl::Hours(24), config.donate_url},
                         policy, nullptr, Logger("funding-test", LogLevel::kError));
  FundingGrpcService service(monitor);
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start({}, {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::Funding::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));

  auto call = [&](v1::GetFundingStatusResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return stub->GetFundingStatus(&ctx, v1::GetFundingStatusRequest(), resp);
  };
  v1::GetFundingStatusResponse resp;
  grpc::Status before = call(&resp);
  EXPECT_EQ(before.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(before.error_message(), HasSubstr("not computed yet"));

  ASSERT_TRUE(monitor.Refresh().ok());
  grpc::Status st = call(&resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const v1::FundingStatus& f = resp.status();
  EXPECT_EQ(f.base_currency(), "EUR");
  EXPECT_EQ(f.monthly_income_base_minor(), 200000);
  EXPECT_EQ(f.balance_base_minor(), 500000);
  EXPECT_GT(f.monthly_cost_base_minor(), 150000);
  EXPECT_GT(f.coverage_ratio(), 1.0);
  EXPECT_TRUE(std::isinf(f.runway_seconds()));
  EXPECT_GT(f.funded_capacity_logical_bytes(), 0u);
  EXPECT_EQ(f.logical_used_bytes(), 1000u);
  EXPECT_EQ(f.raw_used_bytes(), 1500u);
  EXPECT_EQ(f.raw_capacity_bytes(), uint64_t{1} << 40);
  EXPECT_EQ(f.admission_state(), v1::ADMISSION_STATE_OPEN);
  EXPECT_EQ(f.admission_reason(), "");
  EXPECT_EQ(f.donate_url(), "https://freehold.example/help");
  EXPECT_EQ(f.as_of().seconds(), 1795000000);
  EXPECT_TRUE(f.funding_error().empty());
  // Nothing per account ever leaves: no account id anywhere in the message.
  EXPECT_THAT(f.DebugString(), ::testing::Not(HasSubstr("11111111")));
}

}  // namespace
}  // namespace freehold::coordinator
