#include "coordinator/grpc/owner_notice_sink.h"

#include <grpcpp/client_context.h>

#include "common/grpc_status.h"
#include "freehold/v1/accounts.grpc.pb.h"

namespace freehold::coordinator {

absl::Status GrpcOwnerNoticeSink::Deliver(const std::vector<OwnerNotice>& notices) {
  if (notices.empty()) return absl::OkStatus();
  v1::Accounts::Stub stub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::RecordOwnerNoticesRequest request;
  for (const OwnerNotice& n : notices) {
    v1::OwnerNotice* out = request.add_notices();
    out->set_notice_id(n.notice_id);
    out->set_kind(n.kind);
    out->set_owner_id(n.owner_id);
    out->set_object_id(n.object_id);
    out->set_reason_category(n.reason_category);
    const int64_t micros = absl::ToUnixMicros(n.occurred_at);
    out->mutable_occurred_at()->set_seconds(micros / 1000000);
    out->mutable_occurred_at()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  }
  v1::RecordOwnerNoticesResponse response;
  return FromGrpcStatus(stub.RecordOwnerNotices(&ctx, request, &response));
}

}  // namespace freehold::coordinator
