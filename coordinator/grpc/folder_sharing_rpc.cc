// The folder sharing RPCs of freehold.v1.Coordinator (core/folders.h,
// folder_sharing.cc): a thin skin.
#include "common/grpc_status.h"
#include "coordinator/grpc/coordinator_service.h"

namespace freehold::coordinator {
namespace {

grpc::Status Unimplemented() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this coordinator does not serve folders");
}

}  // namespace

grpc::Status CoordinatorGrpcService::GetFolder(grpc::ServerContext* ctx,
                                               const v1::GetFolderRequest* req,
                                               v1::GetFolderResponse* resp) {
  if (p_.folders == nullptr) return Unimplemented();
  absl::StatusOr<std::optional<Caller>> caller = OptionalUserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<FolderSummary> f =
      p_.folders->Get(caller->has_value() ? &**caller : nullptr, req->folder_id());
  if (!f.ok()) return ToGrpcStatus(f.status());
  ToProto(*f, resp->mutable_folder());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::UpdateFolderSharing(
    grpc::ServerContext* ctx, const v1::UpdateFolderSharingRequest* req,
    v1::UpdateFolderSharingResponse* resp) {
  if (p_.folders == nullptr) return Unimplemented();
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kShare);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  FolderSharingInput in;
  in.folder_id = req->folder_id();
  in.age_header = req->age_header();
  in.share_record = req->share_record();
  in.share_with.assign(req->share_with_account_ids().begin(), req->share_with_account_ids().end());
  in.public_link = req->public_link();
  in.expected_header_version = req->expected_header_version();
  absl::StatusOr<uint64_t> version = p_.folders->UpdateSharing(*caller, in);
  if (!version.ok()) return ToGrpcStatus(version.status());
  resp->set_header_version(*version);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::SetEntryKeys(grpc::ServerContext* ctx,
                                                  const v1::SetEntryKeysRequest* req,
                                                  v1::SetEntryKeysResponse*) {
  if (p_.folders == nullptr) return Unimplemented();
  // Folder keys and wraps: also written after a member adds to a shared folder.
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kShare);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::vector<EntryKeyInput> entries;
  entries.reserve(req->entries_size());
  for (const v1::EntryKey& e : req->entries()) {
    entries.push_back(EntryKeyInput{e.folder_id(), e.object_id(), e.age_header(), e.wrap()});
  }
  return ToGrpcStatus(p_.folders->SetEntryKeys(*caller, entries));
}

}  // namespace freehold::coordinator
