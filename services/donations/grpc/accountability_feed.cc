// Polls the abuse and account-lifecycle counts (see accountability_feed.h).
#include "services/donations/grpc/accountability_feed.h"

#include "common/grpc_status.h"
#include "freehold/v1/abuse.grpc.pb.h"
#include "freehold/v1/accounts.grpc.pb.h"

namespace freehold::donations {

struct AccountabilityFeed::Stubs {
  std::unique_ptr<v1::Abuse::Stub> abuse;
  std::unique_ptr<v1::Accounts::Stub> accounts;
};

AccountabilityFeed::AccountabilityFeed(std::shared_ptr<grpc::Channel> coordinator,
                                       std::shared_ptr<grpc::Channel> accounts,
                                       absl::Duration max_age)
    : stubs_(std::make_unique<Stubs>()), max_age_(max_age) {
  if (coordinator != nullptr) stubs_->abuse = v1::Abuse::NewStub(std::move(coordinator));
  if (accounts != nullptr) stubs_->accounts = v1::Accounts::NewStub(std::move(accounts));
}

AccountabilityFeed::~AccountabilityFeed() = default;

namespace {
bool Same(const AbuseFigures& a, const AbuseFigures& b) {
  return a.reports_received == b.reports_received && a.links_disabled == b.links_disabled &&
         a.authority_requests == b.authority_requests;
}
bool Same(const LifecycleFigures& a, const LifecycleFigures& b) {
  return a.enabled == b.enabled && a.warned_total == b.warned_total &&
         a.trashed_total == b.trashed_total && a.collected_total == b.collected_total &&
         a.renewed_total == b.renewed_total;
}
}  // namespace

absl::Status AccountabilityFeed::Refresh(bool* changed) {
  absl::Status first = absl::OkStatus();
  bool differs = false;
  if (stubs_->abuse != nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetAbuseCountsResponse resp;
    grpc::Status st = stubs_->abuse->GetAbuseCounts(&ctx, {}, &resp);
    if (st.ok()) {
      AbuseFigures f{resp.reports_received(), resp.links_disabled(), resp.authority_requests()};
      absl::MutexLock lock(&mu_);
      differs |= !abuse_.has_value() || !Same(*abuse_, f);
      abuse_ = f;
      abuse_at_ = absl::Now();
    } else {
      first = FromGrpcStatus(st);
    }
  }
  if (stubs_->accounts != nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetLifecycleReportResponse resp;
    grpc::Status st = stubs_->accounts->GetLifecycleReport(&ctx, {}, &resp);
    if (st.ok()) {
      LifecycleFigures f{resp.enabled(), resp.warned_total(), resp.trashed_total(),
                         resp.collected_total(), resp.renewed_total()};
      absl::MutexLock lock(&mu_);
      differs |= !lifecycle_.has_value() || !Same(*lifecycle_, f);
      lifecycle_ = f;
      lifecycle_at_ = absl::Now();
    } else if (first.ok()) {
      first = FromGrpcStatus(st);
    }
  }
  if (changed != nullptr) *changed = differs;
  return first;
}

AccountabilityFigures AccountabilityFeed::Latest(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  AccountabilityFigures out;
  if (abuse_.has_value() && now - abuse_at_ <= max_age_) out.abuse = abuse_;
  if (lifecycle_.has_value() && now - lifecycle_at_ <= max_age_) out.lifecycle = lifecycle_;
  return out;
}

}  // namespace freehold::donations
