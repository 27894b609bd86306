// The trash RPCs of freehold.v1.Coordinator (core/trash.h).
#include <algorithm>

#include "common/grpc_status.h"
#include "coordinator/grpc/coordinator_service.h"

namespace freehold::coordinator {
namespace {

grpc::Status NoTrash() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this coordinator serves no trash");
}

}  // namespace

grpc::Status CoordinatorGrpcService::ListTrash(grpc::ServerContext* ctx,
                                               const v1::ListTrashRequest* req,
                                               v1::ListTrashResponse* resp) {
  // An organization's trash is its writers' (core/org_access.h).
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kTrash);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (p_.trash == nullptr) return NoTrash();
  const uint32_t size = req->page().page_size();
  absl::StatusOr<TrashPage> page =
      p_.trash->List(*caller, static_cast<int>(std::min<uint32_t>(size, 1u << 30)),
                     req->page().page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const TrashEntry& e : page->objects) {
    v1::TrashedObject* out = resp->add_objects();
    ToProto(e.object, out->mutable_object());
    SetTime(e.trashed_at, out->mutable_trashed_at());
    SetTime(e.purge_at, out->mutable_purge_at());
  }
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::RestoreObjects(grpc::ServerContext* ctx,
                                                    const v1::RestoreObjectsRequest* req,
                                                    v1::RestoreObjectsResponse*) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kRestore);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (p_.trash == nullptr) return NoTrash();
  std::vector<std::string> ids(req->object_ids().begin(), req->object_ids().end());
  return ToGrpcStatus(p_.trash->Restore(*caller, ids, req->keep_both()));
}

grpc::Status CoordinatorGrpcService::EmptyTrash(grpc::ServerContext* ctx,
                                                const v1::EmptyTrashRequest* req,
                                                v1::EmptyTrashResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kDelete);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (p_.trash == nullptr) return NoTrash();
  std::vector<std::string> ids(req->object_ids().begin(), req->object_ids().end());
  absl::StatusOr<int> purged = p_.trash->Empty(*caller, ids);
  if (!purged.ok()) return ToGrpcStatus(purged.status());
  resp->set_purged(static_cast<uint64_t>(*purged));
  return grpc::Status::OK;
}

}  // namespace freehold::coordinator
