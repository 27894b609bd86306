#include "client/cli/coordinator_api.h"

#include "absl/strings/str_cat.h"

namespace freehold::cli {

absl::Status CoordinatorApi::Prepare(grpc::ClientContext* ctx, absl::Duration timeout) {
  ++calls_;
  std::string token;
  if (tokens_) {
    absl::StatusOr<std::string> t = tokens_();
    if (!t.ok()) return t.status();
    token = *std::move(t);
  }
  PrepareCall(ctx, timeout, token);
  if (!org_id_.empty()) ctx->AddMetadata("freehold-org", org_id_);
  return absl::OkStatus();
}

#define FH_CALL(method, what, req, resp)                 \
  grpc::ClientContext ctx;                               \
  if (absl::Status s = Prepare(&ctx); !s.ok()) return s; \
  grpc::Status st = stub_->method(&ctx, req, &resp);     \
  if (!st.ok()) return CallFailed(st, ctx, service_, what)

absl::StatusOr<v1::CreateObjectResponse> CoordinatorApi::CreateObject(
    const v1::CreateObjectRequest& req) {
  v1::CreateObjectResponse resp;
  FH_CALL(CreateObject, "create object", req, resp);
  return resp;
}

absl::StatusOr<v1::BeginSegmentResponse> CoordinatorApi::BeginSegment(
    const v1::BeginSegmentRequest& req) {
  v1::BeginSegmentResponse resp;
  FH_CALL(BeginSegment, absl::StrCat("begin segment ", req.segment()), req, resp);
  return resp;
}

absl::StatusOr<v1::ReplaceShardTargetResponse> CoordinatorApi::ReplaceShardTarget(
    const v1::ReplaceShardTargetRequest& req) {
  v1::ReplaceShardTargetResponse resp;
  FH_CALL(ReplaceShardTarget,
          absl::StrCat("replace the node of segment ", req.segment(), " shard ", req.index()), req,
          resp);
  return resp;
}

absl::StatusOr<v1::ReportCorruptShardResponse> CoordinatorApi::ReportCorruptShard(
    const v1::ReportCorruptShardRequest& req) {
  v1::ReportCorruptShardResponse resp;
  FH_CALL(ReportCorruptShard,
          absl::StrCat("report corrupt shard ", req.index(), " of segment ", req.segment()), req,
          resp);
  return resp;
}

absl::Status CoordinatorApi::CommitSegment(const v1::CommitSegmentRequest& req) {
  v1::CommitSegmentResponse resp;
  FH_CALL(CommitSegment, absl::StrCat("commit segment ", req.segment()), req, resp);
  return absl::OkStatus();
}

absl::StatusOr<v1::CommitObjectResponse> CoordinatorApi::CommitObject(
    const v1::CommitObjectRequest& req) {
  v1::CommitObjectResponse resp;
  FH_CALL(CommitObject, "commit object", req, resp);
  return resp;
}

absl::StatusOr<v1::GetObjectResponse> CoordinatorApi::GetObjectPage(const std::string& object_id,
                                                                    uint32_t first_segment) {
  v1::GetObjectRequest req;
  req.set_object_id(object_id);
  req.set_first_segment(first_segment);
  v1::GetObjectResponse resp;
  FH_CALL(GetObject, absl::StrCat("object ", object_id), req, resp);
  return resp;
}

absl::StatusOr<v1::GetObjectResponse> CoordinatorApi::GetObject(const std::string& object_id) {
  absl::StatusOr<v1::GetObjectResponse> manifest = GetObjectPage(object_id, 0);
  if (!manifest.ok()) return manifest;
  if (absl::Status s = FetchRemainingSegments(object_id, *manifest); !s.ok()) return s;
  return manifest;
}

absl::Status CoordinatorApi::FetchRemainingSegments(const std::string& object_id,
                                                    v1::GetObjectResponse& manifest) {
  // Each page continues where the ones before ended and holds at least one
  // segment, so this ends after at most segment_count pages.
  while (manifest.next_segment() != 0) {
    if (manifest.next_segment() != static_cast<uint32_t>(manifest.segments_size()) ||
        manifest.next_segment() >= manifest.segment_count()) {
      return absl::InternalError(absl::StrCat("object ", object_id,
                                              ": the coordinator paged its manifest out of order"));
    }
    absl::StatusOr<v1::GetObjectResponse> page = GetObjectPage(object_id, manifest.next_segment());
    if (!page.ok()) return page.status();
    if (page->segments_size() == 0 || page->segment_count() != manifest.segment_count()) {
      return absl::InternalError(absl::StrCat(
          "object ", object_id, ": a page of its manifest is empty or of another version"));
    }
    for (v1::SegmentManifest& s : *page->mutable_segments()) {
      *manifest.add_segments() = std::move(s);
    }
    if (page->grants_expire_at().seconds() < manifest.grants_expire_at().seconds()) {
      *manifest.mutable_grants_expire_at() = page->grants_expire_at();
    }
    manifest.set_next_segment(page->next_segment());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ObjectSummary>> CoordinatorApi::ListAllObjects() {
  std::vector<v1::ObjectSummary> out;
  std::string token;
  for (int page = 0; page < 100000; ++page) {
    v1::ListObjectsRequest req;
    req.mutable_page()->set_page_size(1000);
    req.mutable_page()->set_page_token(token);
    req.set_max_bytes(uint64_t{4} << 20);  // pages by bytes too (huge metadata)
    v1::ListObjectsResponse resp;
    FH_CALL(ListObjects, "list objects", req, resp);
    for (v1::ObjectSummary& o : *resp.mutable_objects()) out.push_back(std::move(o));
    if (resp.next_page_token().empty()) return out;
    token = resp.next_page_token();
  }
  return absl::InternalError("list objects: too many pages");
}

absl::Status CoordinatorApi::DeleteObject(const std::string& object_id,
                                          google::protobuf::Timestamp* purge_at) {
  v1::DeleteObjectRequest req;
  req.set_object_id(object_id);
  v1::DeleteObjectResponse resp;
  FH_CALL(DeleteObject, absl::StrCat("delete object ", object_id), req, resp);
  if (purge_at != nullptr) *purge_at = resp.purge_at();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::TrashedObject>> CoordinatorApi::ListAllTrash() {
  std::vector<v1::TrashedObject> out;
  std::string token;
  for (int page = 0; page < 100000; ++page) {
    v1::ListTrashRequest req;
    req.mutable_page()->set_page_size(1000);
    req.mutable_page()->set_page_token(token);
    v1::ListTrashResponse resp;
    FH_CALL(ListTrash, "list the trash", req, resp);
    for (v1::TrashedObject& o : *resp.mutable_objects()) out.push_back(std::move(o));
    if (resp.next_page_token().empty()) return out;
    token = resp.next_page_token();
  }
  return absl::InternalError("list the trash: too many pages");
}

absl::Status CoordinatorApi::RestoreObjects(const std::vector<std::string>& object_ids,
                                            bool keep_both) {
  v1::RestoreObjectsRequest req;
  for (const std::string& id : object_ids) req.add_object_ids(id);
  req.set_keep_both(keep_both);
  v1::RestoreObjectsResponse resp;
  FH_CALL(RestoreObjects, "restore from the trash", req, resp);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> CoordinatorApi::EmptyTrash(const std::vector<std::string>& object_ids) {
  v1::EmptyTrashRequest req;
  for (const std::string& id : object_ids) req.add_object_ids(id);
  v1::EmptyTrashResponse resp;
  FH_CALL(EmptyTrash, "empty the trash", req, resp);
  return resp.purged();
}

absl::StatusOr<v1::PutInlineObjectsResponse> CoordinatorApi::PutInlineObjects(
    const v1::PutInlineObjectsRequest& req) {
  v1::PutInlineObjectsResponse resp;
  FH_CALL(PutInlineObjects, absl::StrCat("store ", req.objects_size(), " small files"), req, resp);
  return resp;
}

absl::StatusOr<v1::GetUploadLimitsResponse> CoordinatorApi::GetUploadLimits() {
  v1::GetUploadLimitsResponse resp;
  FH_CALL(GetUploadLimits, "upload limits", v1::GetUploadLimitsRequest(), resp);
  return resp;
}

absl::StatusOr<std::vector<absl::StatusOr<v1::GetObjectResponse>>> CoordinatorApi::GetObjects(
    const std::vector<std::string>& object_ids) {
  std::vector<absl::StatusOr<v1::GetObjectResponse>> out;
  while (out.size() < object_ids.size()) {
    v1::GetObjectsRequest req;
    for (size_t i = out.size(); i < object_ids.size() && req.object_ids_size() < 1000; ++i) {
      req.add_object_ids(object_ids[i]);
    }
    v1::GetObjectsResponse resp;
    FH_CALL(GetObjects, "get objects", req, resp);
    if (resp.results_size() == 0 || resp.results_size() > req.object_ids_size()) {
      return absl::InternalError("the coordinator answered no or too many objects");
    }
    for (v1::ObjectResult& r : *resp.mutable_results()) {
      if (r.found()) {
        if (absl::Status s = FetchRemainingSegments(r.object_id(), *r.mutable_object()); !s.ok()) {
          return s;
        }
        out.push_back(std::move(*r.mutable_object()));
      } else {
        out.push_back(absl::NotFoundError(absl::StrCat("object ", r.object_id(), " not found")));
      }
    }
  }
  return out;
}

absl::StatusOr<v1::FindObjectsByNameResponse> CoordinatorApi::FindObjectsByName(
    const v1::FindObjectsByNameRequest& req) {
  v1::FindObjectsByNameResponse resp;
  FH_CALL(FindObjectsByName, "look up names", req, resp);
  return resp;
}

absl::StatusOr<v1::CreateFolderResponse> CoordinatorApi::CreateFolder(
    const v1::CreateFolderRequest& req) {
  v1::CreateFolderResponse resp;
  FH_CALL(CreateFolder, "create folder", req, resp);
  return resp;
}

absl::StatusOr<v1::ListFolderResponse> CoordinatorApi::ListFolder(
    const v1::ListFolderRequest& req) {
  v1::ListFolderResponse resp;
  FH_CALL(ListFolder, "list folder", req, resp);
  return resp;
}

absl::StatusOr<v1::FolderSummary> CoordinatorApi::GetFolder(const std::string& folder_id) {
  v1::GetFolderRequest req;
  req.set_folder_id(folder_id);
  v1::GetFolderResponse resp;
  FH_CALL(GetFolder, "read folder", req, resp);
  return resp.folder();
}

absl::StatusOr<uint64_t> CoordinatorApi::UpdateFolderSharing(
    const v1::UpdateFolderSharingRequest& req) {
  v1::UpdateFolderSharingResponse resp;
  FH_CALL(UpdateFolderSharing, "change folder sharing", req, resp);
  return resp.header_version();
}

absl::Status CoordinatorApi::SetEntryKeys(const v1::SetEntryKeysRequest& req) {
  v1::SetEntryKeysResponse resp;
  FH_CALL(SetEntryKeys, "store folder keys", req, resp);
  return absl::OkStatus();
}

absl::StatusOr<v1::ResolveEntryResponse> CoordinatorApi::ResolveEntry(
    const v1::ResolveEntryRequest& req) {
  v1::ResolveEntryResponse resp;
  FH_CALL(ResolveEntry, "look up a path", req, resp);
  return resp;
}

absl::Status CoordinatorApi::MoveEntry(const v1::MoveEntryRequest& req) {
  v1::MoveEntryResponse resp;
  FH_CALL(MoveEntry, "move", req, resp);
  return absl::OkStatus();
}

absl::Status CoordinatorApi::DeleteFolder(const std::string& folder_id) {
  v1::DeleteFolderRequest req;
  req.set_folder_id(folder_id);
  v1::DeleteFolderResponse resp;
  FH_CALL(DeleteFolder, "delete folder", req, resp);
  return absl::OkStatus();
}

absl::Status CoordinatorApi::UpdateHeader(const v1::UpdateHeaderRequest& req) {
  v1::UpdateHeaderResponse resp;
  FH_CALL(UpdateHeader, absl::StrCat("update header of ", req.object_id()), req, resp);
  return absl::OkStatus();
}

absl::Status CoordinatorApi::SetPublicLink(const v1::SetPublicLinkRequest& req) {
  v1::SetPublicLinkResponse resp;
  FH_CALL(SetPublicLink, absl::StrCat("public link of ", req.object_id()), req, resp);
  return absl::OkStatus();
}

absl::Status CoordinatorApi::UpdateMetadata(const v1::UpdateMetadataRequest& req) {
  v1::UpdateMetadataResponse resp;
  FH_CALL(UpdateMetadata, absl::StrCat("update metadata of ", req.object_id()), req, resp);
  return absl::OkStatus();
}

#undef FH_CALL

absl::StatusOr<v1::ClusterStatusResponse> CoordinatorApi::ClusterStatus() {
  grpc::ClientContext ctx;
  if (absl::Status s = Prepare(&ctx); !s.ok()) return s;
  v1::ClusterStatusResponse resp;
  grpc::Status st = stub_->ClusterStatus(&ctx, v1::ClusterStatusRequest(), &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "cluster status");
  return resp;
}

absl::StatusOr<v1::FundingStatus> CoordinatorApi::FundingStatus() {
  grpc::ClientContext ctx;
  PrepareCall(&ctx);
  v1::GetFundingStatusResponse resp;
  grpc::Status st = funding_->GetFundingStatus(&ctx, v1::GetFundingStatusRequest(), &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "funding status");
  return resp.status();
}

}  // namespace freehold::cli
