#include "coordinator/grpc/funding_service.h"

namespace freehold::coordinator {
namespace {

v1::AdmissionState ToProto(funding::AdmissionState s) {
  switch (s) {
    case funding::AdmissionState::kOpen:
      return v1::ADMISSION_STATE_OPEN;
    case funding::AdmissionState::kThrottled:
      return v1::ADMISSION_STATE_THROTTLED;
    case funding::AdmissionState::kClosed:
      return v1::ADMISSION_STATE_CLOSED;
  }
  return v1::ADMISSION_STATE_OPEN;
}

// The proto's reason vocabulary: "funding", "physical" or "".
const char* ReasonName(funding::AdmissionReason r) {
  switch (r) {
    case funding::AdmissionReason::kFunding:
      return "funding";
    case funding::AdmissionReason::kPhysicalCapacity:
      return "physical";
    case funding::AdmissionReason::kNone:
      return "";
  }
  return "";
}

}  // namespace

void ToProto(const FundingSnapshot& s, v1::FundingStatus* out) {
  const funding::FundingOutlook& o = s.outlook;
  out->set_base_currency(o.currency);
  out->set_monthly_income_base_minor(o.monthly_income_minor);
  out->set_monthly_cost_base_minor(o.monthly_cost_minor);
  out->set_coverage_ratio(o.coverage_ratio);
  out->set_balance_base_minor(o.balance_minor);
  out->set_runway_seconds(absl::ToDoubleSeconds(o.runway));
  out->set_funded_capacity_logical_bytes(o.funded_logical_bytes);
  out->set_physical_capacity_logical_bytes(o.physical_logical_capacity_bytes);
  out->set_logical_used_bytes(s.usage.logical_bytes);
  out->set_raw_used_bytes(s.usage.raw_bytes);
  out->set_raw_capacity_bytes(s.usage.physical_raw_capacity_bytes);
  out->set_growth_logical_bytes_per_second(s.usage.logical_growth_bytes_per_second);
  out->set_seconds_until_funded_full(absl::ToDoubleSeconds(o.time_to_funded_capacity));
  out->set_seconds_until_physical_full(absl::ToDoubleSeconds(o.time_to_physical_capacity));
  out->set_admission_state(ToProto(s.admission_state));
  out->set_admission_reason(ReasonName(s.admission_reason));
  out->set_admission_message(s.admission_message);
  out->set_donate_url(s.donate_url);
  const int64_t secs = absl::ToUnixSeconds(s.as_of);
  out->mutable_as_of()->set_seconds(secs);
  out->mutable_as_of()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(s.as_of - absl::FromUnixSeconds(secs))));
  out->set_funding_error(s.funding_error);
  out->set_org_logical_used_bytes(s.org_logical_bytes);
  out->set_organizations(s.organizations);
  out->set_inkind_nodes(o.inkind_nodes);
  out->set_inkind_raw_capacity_bytes(o.inkind_raw_bytes);
  out->set_inkind_capacity_logical_bytes(o.inkind_logical_bytes);
  out->set_inkind_value_base_minor(o.inkind_value_minor);
  out->set_money_funded_capacity_logical_bytes(o.money_funded_logical_bytes);
}

grpc::Status FundingGrpcService::GetFundingStatus(grpc::ServerContext*,
                                                  const v1::GetFundingStatusRequest*,
                                                  v1::GetFundingStatusResponse* resp) {
  std::optional<FundingSnapshot> snapshot = monitor_.Snapshot();
  if (!snapshot.has_value()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "funding figures are not computed yet (the coordinator is starting or "
                        "cannot read its database); try again in a few seconds");
  }
  ToProto(*snapshot, resp->mutable_status());
  return grpc::Status::OK;
}

}  // namespace freehold::coordinator
