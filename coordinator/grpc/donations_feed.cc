#include "coordinator/grpc/donations_feed.h"

#include "common/grpc_status.h"

namespace freehold::coordinator {

DonationsReport ReportFromProto(const v1::GetFundingSummaryResponse& resp) {
  DonationsReport r;
  r.base_currency = resp.base_currency();
  for (const v1::MonthTotal& m : resp.months()) {
    r.months.push_back(DonationsReport::Month{m.month(), m.currency(), m.gross_minor(),
                                              m.reversed_minor(), m.net_minor(),
                                              m.net_base_minor()});
  }
  r.balance_base_minor = resp.balance_base_minor();
  r.monthly_recurring_base_minor = resp.monthly_recurring_base_minor();
  r.trailing_one_off_average_base_minor = resp.trailing_one_off_average_base_minor();
  r.this_month_net_base_minor = resp.this_month_net_base_minor();
  r.as_of = absl::FromUnixSeconds(resp.as_of().seconds()) + absl::Nanoseconds(resp.as_of().nanos());
  return r;
}

GrpcDonationsFeed::GrpcDonationsFeed(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(v1::Donations::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<DonationsReport> GrpcDonationsFeed::Fetch() {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  v1::GetFundingSummaryRequest req;
  req.set_months(1);  // only the current month's per-currency totals are needed
  v1::GetFundingSummaryResponse resp;
  grpc::Status st = stub_->GetFundingSummary(&ctx, req, &resp);
  if (!st.ok()) return FromGrpcStatus(st);
  DonationsReport report = ReportFromProto(resp);
  // An unset as_of (older servers) means "now" for picking the current month.
  if (!resp.has_as_of()) report.as_of = absl::Now();
  return report;
}

}  // namespace freehold::coordinator
