// AccountsGrpcService: RecordOwnerNotices (core/owner_notices.h), the coordinator's
// notices to owners.
#include "common/grpc_status.h"
#include "services/accounts/grpc/accounts_grpc_service.h"

namespace freehold::accounts {

grpc::Status AccountsGrpcService::RecordOwnerNotices(grpc::ServerContext* ctx,
                                                     const v1::RecordOwnerNoticesRequest* req,
                                                     v1::RecordOwnerNoticesResponse* resp) {
  if (absl::Status s = CheckInternal(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (notices_ == nullptr) {
    return ToGrpcStatus(
        absl::FailedPreconditionError("owner notices are not configured on this server"));
  }
  std::vector<OwnerNoticeInput> in;
  in.reserve(static_cast<size_t>(req->notices_size()));
  for (const v1::OwnerNotice& n : req->notices()) {
    OwnerNoticeInput i;
    i.notice_id = n.notice_id();
    i.kind = n.kind();
    i.owner_id = n.owner_id();
    i.object_id = n.object_id();
    i.reason_category = n.reason_category();
    if (n.has_occurred_at()) {
      i.occurred_at =
          absl::FromUnixSeconds(n.occurred_at().seconds()) + absl::Nanoseconds(n.occurred_at().nanos());
    }
    in.push_back(std::move(i));
  }
  absl::StatusOr<OwnerNoticeOutcome> r = notices_->Record(in);
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_new_notices(static_cast<uint32_t>(r->new_notices));
  resp->set_outbox_rows(static_cast<uint32_t>(r->outbox_rows));
  return grpc::Status::OK;
}

}  // namespace freehold::accounts
