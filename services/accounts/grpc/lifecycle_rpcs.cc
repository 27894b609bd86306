// AccountsGrpcService: GetLifecycleReport (core/account_lifecycle.h).
#include "common/grpc_status.h"
#include "services/accounts/grpc/accounts_grpc_service.h"

namespace freehold::accounts {

grpc::Status AccountsGrpcService::GetLifecycleReport(grpc::ServerContext*,
                                                     const v1::GetLifecycleReportRequest*,
                                                     v1::GetLifecycleReportResponse* resp) {
  if (lifecycle_ == nullptr) {
    return ToGrpcStatus(
        absl::FailedPreconditionError("the account lifecycle is not configured on this server"));
  }
  absl::StatusOr<LifecycleReport> report = lifecycle_->Report();
  if (!report.ok()) return ToGrpcStatus(report.status());
  const LifecyclePolicy& p = report->policy;
  resp->set_enabled(p.enabled());
  resp->set_silence_seconds(absl::ToInt64Seconds(p.silence));
  resp->set_grace_seconds(absl::ToInt64Seconds(p.grace));
  resp->set_trash_retention_seconds(absl::ToInt64Seconds(p.trash_retention));
  const LifecycleTotals& t = report->totals;
  resp->set_warned_total(t.warned);
  resp->set_trashed_total(t.trashed);
  resp->set_collected_total(t.collected);
  resp->set_renewed_total(t.renewed);
  resp->set_warned_now(t.warned_now);
  resp->set_trashed_now(t.trashed_now);
  return grpc::Status::OK;
}

}  // namespace freehold::accounts
