// The coordinator as the CLI uses it: one method per RPC, the bearer token
// taken from a provider on every call (so it is refreshed when needed), errors
// as absl::Status with user-facing messages (rpc.h). A null token provider
// makes anonymous calls (public links). Thread-safe.
#pragma once

#include <atomic>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/cli/rpc.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "freehold/v1/funding.grpc.pb.h"

namespace freehold::cli {

using TokenProvider = std::function<absl::StatusOr<std::string>()>;

class CoordinatorApi {
 public:
  CoordinatorApi(Service service, TokenProvider tokens)
      : service_(std::move(service)),
        tokens_(std::move(tokens)),
        stub_(v1::Coordinator::NewStub(service_.channel)),
        funding_(v1::Funding::NewStub(service_.channel)) {}
  const Service& service() const { return service_; }
  // Every later call acts for the organization `org_id` (the "freehold-org" metadata,
  // coordinator/core/org_access.h). Call before any call is made.
  void ActForOrg(std::string org_id) { org_id_ = std::move(org_id); }

  absl::StatusOr<v1::CreateObjectResponse> CreateObject(const v1::CreateObjectRequest& req);
  absl::StatusOr<v1::BeginSegmentResponse> BeginSegment(const v1::BeginSegmentRequest& req);
  absl::StatusOr<v1::ReplaceShardTargetResponse> ReplaceShardTarget(
      const v1::ReplaceShardTargetRequest& req);
  absl::StatusOr<v1::ReportCorruptShardResponse> ReportCorruptShard(
      const v1::ReportCorruptShardRequest& req);
  absl::Status CommitSegment(const v1::CommitSegmentRequest& req);
  absl::StatusOr<v1::CommitObjectResponse> CommitObject(const v1::CommitObjectRequest& req);
  // The whole manifest: every page of its segments, joined (grants_expire_at is
  // the earliest of the pages').
  absl::StatusOr<v1::GetObjectResponse> GetObject(const std::string& object_id);
  // One page of a manifest: segments from `first_segment` on.
  absl::StatusOr<v1::GetObjectResponse> GetObjectPage(const std::string& object_id,
                                                      uint32_t first_segment);
  // Every page.
  absl::StatusOr<std::vector<v1::ObjectSummary>> ListAllObjects();
  // Moves the object to the trash; `purge_at` (optional) receives when it leaves
  // the trash for good.
  absl::Status DeleteObject(const std::string& object_id,
                            google::protobuf::Timestamp* purge_at = nullptr);
  // The trash (docs/ARCHITECTURE.md#10-keeping-data-alive): every page.
  absl::StatusOr<std::vector<v1::TrashedObject>> ListAllTrash();
  absl::Status RestoreObjects(const std::vector<std::string>& object_ids, bool keep_both);
  // No ids = the whole trash. Returns how many were deleted for good.
  absl::StatusOr<uint64_t> EmptyTrash(const std::vector<std::string>& object_ids);
  // Small objects (docs/ARCHITECTURE.md#small-objects).
  absl::StatusOr<v1::PutInlineObjectsResponse> PutInlineObjects(
      const v1::PutInlineObjectsRequest& req);
  absl::StatusOr<v1::GetUploadLimitsResponse> GetUploadLimits();
  // Manifests of `object_ids` in order (as many calls as the answers need):
  // each a whole manifest (as GetObject) or NOT_FOUND naming the id.
  absl::StatusOr<std::vector<absl::StatusOr<v1::GetObjectResponse>>> GetObjects(
      const std::vector<std::string>& object_ids);
  absl::StatusOr<v1::FindObjectsByNameResponse> FindObjectsByName(
      const v1::FindObjectsByNameRequest& req);
  // Folders (docs/ARCHITECTURE.md#folders).
  absl::StatusOr<v1::CreateFolderResponse> CreateFolder(const v1::CreateFolderRequest& req);
  absl::StatusOr<v1::ListFolderResponse> ListFolder(const v1::ListFolderRequest& req);
  absl::StatusOr<v1::ResolveEntryResponse> ResolveEntry(const v1::ResolveEntryRequest& req);
  absl::Status MoveEntry(const v1::MoveEntryRequest& req);
  absl::Status DeleteFolder(const std::string& folder_id);
  // Folder sharing (docs/PROTOCOL.md 9.3).
  absl::StatusOr<v1::FolderSummary> GetFolder(const std::string& folder_id);
  absl::StatusOr<uint64_t> UpdateFolderSharing(const v1::UpdateFolderSharingRequest& req);
  absl::Status SetEntryKeys(const v1::SetEntryKeysRequest& req);
  // RPCs issued through this object so far (every call, failed ones too).
  int64_t calls() const { return calls_; }
  absl::Status UpdateHeader(const v1::UpdateHeaderRequest& req);
  absl::Status SetPublicLink(const v1::SetPublicLinkRequest& req);
  // Compare-and-swap on the old blob (ABORTED if it changed).
  absl::Status UpdateMetadata(const v1::UpdateMetadataRequest& req);
  // With the session's token: node-level details need its role coordinator:operator.
  absl::StatusOr<v1::ClusterStatusResponse> ClusterStatus();
  absl::StatusOr<v1::FundingStatus> FundingStatus();

 private:
  // Appends the pages after the first to `manifest` (the first page of object_id).
  absl::Status FetchRemainingSegments(const std::string& object_id,
                                      v1::GetObjectResponse& manifest);
  // Prepares ctx with a deadline and the token (if any).
  absl::Status Prepare(grpc::ClientContext* ctx, absl::Duration timeout = kDefaultRpcTimeout);

  Service service_;
  TokenProvider tokens_;
  std::string org_id_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  std::unique_ptr<v1::Funding::Stub> funding_;
  std::atomic<int64_t> calls_{0};
};

}  // namespace freehold::cli
