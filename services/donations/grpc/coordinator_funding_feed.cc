// Polls the coordinator's computed funding figures (see coordinator_funding_feed.h).
#include "services/donations/grpc/coordinator_funding_feed.h"

#include "common/grpc_status.h"
#include "freehold/v1/funding.grpc.pb.h"

namespace freehold::donations {

struct CoordinatorFundingFeed::Stub {
  std::unique_ptr<v1::Funding::Stub> stub;
};

CoordinatorFundingFeed::CoordinatorFundingFeed(std::shared_ptr<grpc::Channel> channel,
                                               absl::Duration max_age)
    : stub_(std::make_unique<Stub>(Stub{v1::Funding::NewStub(std::move(channel))})),
      max_age_(max_age) {}

CoordinatorFundingFeed::~CoordinatorFundingFeed() = default;

absl::Status CoordinatorFundingFeed::Refresh() {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetFundingStatusResponse resp;
  grpc::Status st = stub_->stub->GetFundingStatus(&ctx, {}, &resp);
  if (!st.ok()) return FromGrpcStatus(st);
  const v1::FundingStatus& s = resp.status();
  if (!s.funding_error().empty() || s.base_currency().empty()) {
    return absl::FailedPreconditionError("the coordinator has no funding figures: " +
                                         s.funding_error());
  }
  StorageFigures f;
  f.currency = s.base_currency();
  f.monthly_cost_base_minor = s.monthly_cost_base_minor();
  f.coverage_ratio = s.coverage_ratio();
  f.runway_seconds = s.runway_seconds();
  f.funded_capacity_logical_bytes = s.funded_capacity_logical_bytes();
  f.logical_used_bytes = s.logical_used_bytes();
  f.inkind_nodes = s.inkind_nodes();
  f.inkind_raw_capacity_bytes = s.inkind_raw_capacity_bytes();
  f.inkind_value_base_minor = s.inkind_value_base_minor();
  f.as_of = absl::FromUnixSeconds(s.as_of().seconds()) + absl::Nanoseconds(s.as_of().nanos());
  absl::MutexLock lock(&mu_);
  latest_ = std::move(f);
  fetched_at_ = absl::Now();
  return absl::OkStatus();
}

std::optional<StorageFigures> CoordinatorFundingFeed::Latest(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (!latest_.has_value() || now - fetched_at_ > max_age_) return std::nullopt;
  return latest_;
}

}  // namespace freehold::donations
