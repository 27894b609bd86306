// PolicyAdmission: the AdmissionController BeginSegment asks in production. It
// applies billing-free's AdmissionPolicy (kept current by FundingMonitor) to
// one segment of new data:
//   kAdmit  -> OK
//   kDelay  -> RESOURCE_EXHAUSTED(policy message: why, the per-account limit,
//              "retry in N s" and the donate URL) with WithRetryAfter(N s)
//   kRefuse -> RESOURCE_EXHAUSTED(policy message: disks full, the donate URL)
// Delays and refusals are counted in freehold_admission_throttled_total{reason}.
// The request's logical (payload) bytes are what is charged. Thread-safe.
#pragma once

#include "billing-free/admission_policy.h"
#include "common/clock.h"
#include "coordinator/core/admission.h"
#include "coordinator/core/funding_metrics.h"

namespace freehold::coordinator {

class PolicyAdmission : public AdmissionController {
 public:
  // All arguments must outlive this object; `metrics` may be null.
  PolicyAdmission(funding::AdmissionPolicy& policy, Clock& clock, FundingMetrics* metrics)
      : policy_(policy), clock_(clock), metrics_(metrics) {}

  absl::Status AdmitWrite(const WriteRequest& request) override;

 private:
  funding::AdmissionPolicy& policy_;
  Clock& clock_;
  FundingMetrics* metrics_;
};

}  // namespace freehold::coordinator
