#include "coordinator/core/policy_admission.h"

namespace freehold::coordinator {

absl::Status PolicyAdmission::AdmitWrite(const WriteRequest& request) {
  const funding::AdmissionDecision d =
      policy_.Decide(request.account_id, request.logical_bytes, clock_.Now());
  if (d.verdict == funding::AdmissionVerdict::kAdmit) return absl::OkStatus();
  if (metrics_ != nullptr) metrics_->CountThrottled(d.reason);
  absl::Status status = d.ToStatus();
  if (d.verdict == funding::AdmissionVerdict::kDelay) {
    status = WithRetryAfter(std::move(status), d.retry_after);
  }
  return status;
}

}  // namespace freehold::coordinator
