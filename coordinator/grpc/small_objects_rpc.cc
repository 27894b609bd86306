// The small-objects RPCs of freehold.v1.Coordinator (core/small_objects.h).
#include "common/grpc_status.h"
#include "coordinator/grpc/coordinator_service.h"

namespace freehold::coordinator {
namespace {

grpc::Status Unimplemented() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "this coordinator does not serve small objects");
}

}  // namespace

grpc::Status CoordinatorGrpcService::PutInlineObjects(grpc::ServerContext* ctx,
                                                      const v1::PutInlineObjectsRequest* req,
                                                      v1::PutInlineObjectsResponse* resp) {
  if (p_.small == nullptr) return Unimplemented();
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::vector<InlineObjectInput> in;
  in.reserve(static_cast<size_t>(req->objects_size()));
  for (const v1::InlineObject& o : req->objects()) {
    in.push_back(InlineObjectInput{o.encrypted_metadata(), o.age_header(), o.payload(),
                                   o.name_hash(), o.object_id(), o.parent_id()});
  }
  absl::StatusOr<InlineCommit> done = p_.small->PutInline(*caller, in);
  if (!done.ok()) return ToGrpcStatus(done.status());
  for (const std::string& id : done->object_ids) resp->add_object_ids(id);
  SetTime(done->committed_at, resp->mutable_committed_at());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::GetUploadLimits(grpc::ServerContext* ctx,
                                                     const v1::GetUploadLimitsRequest*,
                                                     v1::GetUploadLimitsResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (p_.small == nullptr) return Unimplemented();
  const UploadLimits l = p_.small->Limits();
  resp->set_inline_max_bytes(l.inline_max_bytes);
  resp->set_inline_batch_max_objects(static_cast<uint32_t>(l.inline_batch_max_objects));
  resp->set_inline_batch_max_bytes(l.inline_batch_max_bytes);
  resp->set_data_shards(static_cast<uint32_t>(l.data_shards));
  resp->set_parity_shards(static_cast<uint32_t>(l.parity_shards));
  resp->set_segment_size_bytes(l.segment_size_bytes);
  resp->set_segment_batch_max(static_cast<uint32_t>(p_.writer.max_segments_per_batch()));
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::GetObjects(grpc::ServerContext* ctx,
                                                const v1::GetObjectsRequest* req,
                                                v1::GetObjectsResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::vector<std::string> ids(req->object_ids().begin(), req->object_ids().end());
  constexpr uint64_t kMaxAnswerBytes = uint64_t{8} << 20;
  absl::StatusOr<std::vector<absl::StatusOr<ObjectManifest>>> got =
      p_.catalog.GetMany(*caller, ids, kMaxAnswerBytes);
  if (!got.ok()) return ToGrpcStatus(got.status());
  for (size_t i = 0; i < got->size(); ++i) {
    v1::ObjectResult* r = resp->add_results();
    r->set_object_id(ids[i]);
    r->set_found((*got)[i].ok());
    if ((*got)[i].ok()) ToProto(*(*got)[i], r->mutable_object());
  }
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::FindObjectsByName(grpc::ServerContext* ctx,
                                                       const v1::FindObjectsByNameRequest* req,
                                                       v1::FindObjectsByNameResponse* resp) {
  if (p_.small == nullptr) return Unimplemented();
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::vector<std::string> hashes(req->name_hashes().begin(), req->name_hashes().end());
  absl::StatusOr<std::vector<NameMatches>> found = p_.small->FindByNames(*caller, hashes);
  if (!found.ok()) return ToGrpcStatus(found.status());
  for (const NameMatches& m : *found) {
    v1::NameMatches* out = resp->add_matches();
    out->set_name_hash(m.name_hash);
    for (const ObjectSummary& s : m.objects) ToProto(s, out->add_objects());
  }
  return grpc::Status::OK;
}

}  // namespace freehold::coordinator
