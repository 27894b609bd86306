// The folder RPCs of freehold.v1.Coordinator (core/folders.h): a thin skin.
#include "common/grpc_status.h"
#include "coordinator/grpc/coordinator_service.h"

namespace freehold::coordinator {
namespace {

grpc::Status Unimplemented() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this coordinator does not serve folders");
}

}  // namespace

void ToProto(const FolderSummary& f, v1::FolderSummary* out) {
  out->set_folder_id(f.folder_id);
  out->set_parent_id(f.parent_id);
  out->set_name_hash(f.name_hash);
  out->set_encrypted_metadata(f.encrypted_metadata);
  SetTime(f.created_at, out->mutable_created_at());
  out->set_age_header(f.age_header);
  out->set_entry_wrap(f.entry_wrap);
  out->set_owner_account_id(f.owner_account_id);
  out->set_shared_with_me(f.shared_with_me);
  out->set_public_link(f.public_link);
  out->set_header_version(f.header_version);
  out->set_share_record(f.share_record);
  for (const std::string& a : f.shared_with) out->add_shared_with_account_ids(a);
}

grpc::Status CoordinatorGrpcService::CreateFolder(grpc::ServerContext* ctx,
                                                  const v1::CreateFolderRequest* req,
                                                  v1::CreateFolderResponse* resp) {
  if (p_.folders == nullptr) return Unimplemented();
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<FolderSummary> f = p_.folders->Create(
      *caller, CreateFolderInput{req->parent_id(), req->name_hash(), req->encrypted_metadata()});
  if (!f.ok()) return ToGrpcStatus(f.status());
  ToProto(*f, resp->mutable_folder());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::ListFolder(grpc::ServerContext* ctx,
                                                const v1::ListFolderRequest* req,
                                                v1::ListFolderResponse* resp) {
  if (p_.folders == nullptr) return Unimplemented();
  // No token: a folder in a linked subtree (docs/PROTOCOL.md 9.3).
  absl::StatusOr<std::optional<Caller>> caller = OptionalUserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<FolderPage> page =
      p_.folders->List(caller->has_value() ? &**caller : nullptr, req->folder_id(), static_cast<int>(req->page().page_size()),
                       req->page().page_token(), req->max_bytes());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const FolderSummary& f : page->folders) ToProto(f, resp->add_folders());
  for (const ObjectSummary& o : page->objects) ToProto(o, resp->add_objects());
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::ResolveEntry(grpc::ServerContext* ctx,
                                                  const v1::ResolveEntryRequest* req,
                                                  v1::ResolveEntryResponse* resp) {
  if (p_.folders == nullptr) return Unimplemented();
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<ResolvedEntry> e =
      p_.folders->Resolve(*caller, req->parent_id(), req->name_hash());
  if (!e.ok()) return ToGrpcStatus(e.status());
  if (e->folder.has_value()) {
    resp->set_is_folder(true);
    ToProto(*e->folder, resp->mutable_folder());
  }
  for (const ObjectSummary& o : e->objects) ToProto(o, resp->add_objects());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::MoveEntry(grpc::ServerContext* ctx,
                                               const v1::MoveEntryRequest* req,
                                               v1::MoveEntryResponse*) {
  if (p_.folders == nullptr) return Unimplemented();
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(p_.folders->Move(
      *caller, MoveInput{req->folder_id(), req->object_id(), req->new_parent_id(),
                         req->new_name_hash(), req->new_encrypted_metadata()}));
}

grpc::Status CoordinatorGrpcService::DeleteFolder(grpc::ServerContext* ctx,
                                                  const v1::DeleteFolderRequest* req,
                                                  v1::DeleteFolderResponse*) {
  if (p_.folders == nullptr) return Unimplemented();
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kDelete);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(p_.folders->Delete(*caller, req->folder_id()));
}

}  // namespace freehold::coordinator
