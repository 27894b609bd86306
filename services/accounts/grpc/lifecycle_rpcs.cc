// AccountsGrpcService: GetLifecycleReport and the trashed-accounts outbox
// (core/account_lifecycle.h).
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
  absl::StatusOr<LifecycleReport> report = lifecycle_->CachedReport();
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

namespace {
absl::Status NoLifecycle() {
  return absl::FailedPreconditionError("the account lifecycle is not configured on this server");
}
void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}
}  // namespace

grpc::Status AccountsGrpcService::ListTrashedAccounts(grpc::ServerContext* ctx,
                                                      const v1::ListTrashedAccountsRequest* req,
                                                      v1::ListTrashedAccountsResponse* resp) {
  if (absl::Status s = CheckInternal(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (lifecycle_ == nullptr) return ToGrpcStatus(NoLifecycle());
  absl::StatusOr<std::vector<TrashedAccountEvent>> r =
      lifecycle_->ListTrashedAccounts(req->after_sequence(), req->limit());
  if (!r.ok()) return ToGrpcStatus(r.status());
  for (const TrashedAccountEvent& e : *r) {
    v1::TrashedAccount* out = resp->add_accounts();
    out->set_sequence(e.sequence);
    out->set_account_id(e.account_id);
    const bool trash = e.action == TrashedAccountEvent::Action::kTrash;
    out->set_action(trash ? v1::TrashedAccount::TRASH : v1::TrashedAccount::RESTORE);
    SetTimestamp(e.at, out->mutable_at());
    if (trash) SetTimestamp(e.collect_at, out->mutable_collect_at());
  }
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::AckTrashedAccounts(grpc::ServerContext* ctx,
                                                     const v1::AckTrashedAccountsRequest* req,
                                                     v1::AckTrashedAccountsResponse*) {
  if (absl::Status s = CheckInternal(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (lifecycle_ == nullptr) return ToGrpcStatus(NoLifecycle());
  return ToGrpcStatus(lifecycle_->AckTrashedAccounts(req->up_to_sequence(), req->consumer()));
}

}  // namespace freehold::accounts
