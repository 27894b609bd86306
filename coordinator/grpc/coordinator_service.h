// freehold.v1.Coordinator over gRPC: converts requests to core calls and core
// results to responses; authentication comes from the "authorization"
// metadata (user calls and operator tokens), node signatures (node calls) or the
// caller's certificate role.
//
// Roles (AuthorizeCallerRole, common/peer_identity.h): RegisterNode and Heartbeat
// accept only the storaged role, and with TLS the certificate's id must equal the
// request's node id. Operator calls (ClusterStatus, SetNodeState, ApproveNode,
// RevokeNode, ListPendingNodes) accept an operator certificate or an access token
// carrying the role coordinator:operator issued by freehold-accounts (issue 22: there
// is no shared operator secret); a caller presenting another role's certificate is
// refused (PERMISSION_DENIED), one with neither is UNAUTHENTICATED.
#pragma once

#include <grpcpp/grpcpp.h>

#include "coordinator/core/access.h"
#include "coordinator/core/corruption_reports.h"
#include "coordinator/core/durability_store.h"
#include "coordinator/core/inkind_valuation.h"
#include "coordinator/core/inventory.h"
#include "coordinator/core/maintenance.h"
#include "coordinator/core/node_donations.h"
#include "coordinator/core/folders.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/object_writer.h"
#include "coordinator/core/org_access.h"
#include "coordinator/core/small_objects.h"
#include "coordinator/core/trash.h"
#include "freehold/v1/coordinator.grpc.pb.h"

namespace freehold::coordinator {

struct CoordinatorParts {
  AccessTokenVerifier& tokens;
  NodeRegistry& registry;
  ObjectWriter& writer;
  ObjectCatalog& catalog;
  ClusterMonitor& monitor;
  // Whether the server speaks TLS: roles come from client certificates; without
  // TLS (development mode) node calls are allowed from loopback peers only.
  bool tls_enabled = false;
  // Audits, reputation and drain progress for ClusterStatus; null = none shown.
  DurabilityStore* durability = nullptr;
  // Inline objects and name lookups; null = those RPCs answer UNIMPLEMENTED.
  SmallObjects* small = nullptr;
  // Takes each heartbeat's inventory report; null = not reconciled.
  InventoryReconciler* inventory = nullptr;
  // Readers' corrupt-shard reports (audited before anything is marked); null = refused.
  CorruptionReports* corruption = nullptr;
  // The trash (ListTrash, RestoreObjects, EmptyTrash); null = those answer UNIMPLEMENTED.
  TrashBin* trash = nullptr;
  // The encrypted folder tree; null = the folder RPCs answer UNIMPLEMENTED.
  FolderTree* folders = nullptr;
  // Calls for an organization ("freehold-org" metadata, core/org_access.h); null = such
  // calls answer FAILED_PRECONDITION.
  OrgAccess* orgs = nullptr;
  // Donated disks (core/node_donations.h): DonateNode and WithdrawNodeDonation answer
  // UNIMPLEMENTED while null. `inkind` values them for ClusterStatus at the price of
  // `cost_model` (both null = records shown without standing).
  NodeDonations* donations = nullptr;
  InKindSource* inkind = nullptr;
  const funding::CostModel* cost_model = nullptr;
};

class CoordinatorGrpcService final : public v1::Coordinator::Service {
 public:
  explicit CoordinatorGrpcService(CoordinatorParts parts) : p_(parts) {}

  grpc::Status RegisterNode(grpc::ServerContext* ctx, const v1::RegisterNodeRequest* req,
                            v1::RegisterNodeResponse* resp) override;
  grpc::Status Heartbeat(grpc::ServerContext* ctx, const v1::HeartbeatRequest* req,
                         v1::HeartbeatResponse* resp) override;
  grpc::Status CreateObject(grpc::ServerContext* ctx, const v1::CreateObjectRequest* req,
                            v1::CreateObjectResponse* resp) override;
  grpc::Status BeginSegment(grpc::ServerContext* ctx, const v1::BeginSegmentRequest* req,
                            v1::BeginSegmentResponse* resp) override;
  grpc::Status ReplaceShardTarget(grpc::ServerContext* ctx,
                                  const v1::ReplaceShardTargetRequest* req,
                                  v1::ReplaceShardTargetResponse* resp) override;
  grpc::Status ReportCorruptShard(grpc::ServerContext* ctx,
                                  const v1::ReportCorruptShardRequest* req,
                                  v1::ReportCorruptShardResponse* resp) override;
  grpc::Status CommitSegment(grpc::ServerContext* ctx, const v1::CommitSegmentRequest* req,
                             v1::CommitSegmentResponse* resp) override;
  grpc::Status CommitObject(grpc::ServerContext* ctx, const v1::CommitObjectRequest* req,
                            v1::CommitObjectResponse* resp) override;
  // segment_batches_rpc.cc
  grpc::Status BeginSegments(grpc::ServerContext* ctx, const v1::BeginSegmentsRequest* req,
                             v1::BeginSegmentsResponse* resp) override;
  grpc::Status CommitSegments(grpc::ServerContext* ctx, const v1::CommitSegmentsRequest* req,
                              v1::CommitSegmentsResponse* resp) override;
  grpc::Status GetObject(grpc::ServerContext* ctx, const v1::GetObjectRequest* req,
                         v1::GetObjectResponse* resp) override;
  grpc::Status ListObjects(grpc::ServerContext* ctx, const v1::ListObjectsRequest* req,
                           v1::ListObjectsResponse* resp) override;
  grpc::Status DeleteObject(grpc::ServerContext* ctx, const v1::DeleteObjectRequest* req,
                            v1::DeleteObjectResponse* resp) override;
  // trash_rpc.cc
  grpc::Status ListTrash(grpc::ServerContext* ctx, const v1::ListTrashRequest* req,
                         v1::ListTrashResponse* resp) override;
  grpc::Status RestoreObjects(grpc::ServerContext* ctx, const v1::RestoreObjectsRequest* req,
                              v1::RestoreObjectsResponse* resp) override;
  grpc::Status EmptyTrash(grpc::ServerContext* ctx, const v1::EmptyTrashRequest* req,
                          v1::EmptyTrashResponse* resp) override;
  // small_objects_rpc.cc
  grpc::Status PutInlineObjects(grpc::ServerContext* ctx, const v1::PutInlineObjectsRequest* req,
                                v1::PutInlineObjectsResponse* resp) override;
  grpc::Status GetUploadLimits(grpc::ServerContext* ctx, const v1::GetUploadLimitsRequest* req,
                               v1::GetUploadLimitsResponse* resp) override;
  grpc::Status GetObjects(grpc::ServerContext* ctx, const v1::GetObjectsRequest* req,
                          v1::GetObjectsResponse* resp) override;
  grpc::Status FindObjectsByName(grpc::ServerContext* ctx,
                                 const v1::FindObjectsByNameRequest* req,
                                 v1::FindObjectsByNameResponse* resp) override;
  // folders_rpc.cc
  grpc::Status CreateFolder(grpc::ServerContext* ctx, const v1::CreateFolderRequest* req,
                            v1::CreateFolderResponse* resp) override;
  grpc::Status ListFolder(grpc::ServerContext* ctx, const v1::ListFolderRequest* req,
                          v1::ListFolderResponse* resp) override;
  grpc::Status ResolveEntry(grpc::ServerContext* ctx, const v1::ResolveEntryRequest* req,
                            v1::ResolveEntryResponse* resp) override;
  grpc::Status MoveEntry(grpc::ServerContext* ctx, const v1::MoveEntryRequest* req,
                         v1::MoveEntryResponse* resp) override;
  grpc::Status DeleteFolder(grpc::ServerContext* ctx, const v1::DeleteFolderRequest* req,
                            v1::DeleteFolderResponse* resp) override;
  // folder_sharing_rpc.cc
  grpc::Status GetFolder(grpc::ServerContext* ctx, const v1::GetFolderRequest* req,
                         v1::GetFolderResponse* resp) override;
  grpc::Status UpdateFolderSharing(grpc::ServerContext* ctx,
                                   const v1::UpdateFolderSharingRequest* req,
                                   v1::UpdateFolderSharingResponse* resp) override;
  grpc::Status SetEntryKeys(grpc::ServerContext* ctx, const v1::SetEntryKeysRequest* req,
                            v1::SetEntryKeysResponse* resp) override;
  grpc::Status UpdateHeader(grpc::ServerContext* ctx, const v1::UpdateHeaderRequest* req,
                            v1::UpdateHeaderResponse* resp) override;
  grpc::Status SetPublicLink(grpc::ServerContext* ctx, const v1::SetPublicLinkRequest* req,
                             v1::SetPublicLinkResponse* resp) override;
  grpc::Status UpdateMetadata(grpc::ServerContext* ctx, const v1::UpdateMetadataRequest* req,
                              v1::UpdateMetadataResponse* resp) override;
  grpc::Status ClusterStatus(grpc::ServerContext* ctx, const v1::ClusterStatusRequest* req,
                             v1::ClusterStatusResponse* resp) override;
  grpc::Status SetNodeState(grpc::ServerContext* ctx, const v1::SetNodeStateRequest* req,
                            v1::SetNodeStateResponse* resp) override;
  grpc::Status ApproveNode(grpc::ServerContext* ctx, const v1::ApproveNodeRequest* req,
                           v1::ApproveNodeResponse* resp) override;
  grpc::Status RevokeNode(grpc::ServerContext* ctx, const v1::RevokeNodeRequest* req,
                          v1::RevokeNodeResponse* resp) override;
  grpc::Status ListPendingNodes(grpc::ServerContext* ctx, const v1::ListPendingNodesRequest* req,
                                v1::ListPendingNodesResponse* resp) override;
  // donated_nodes_rpc.cc
  grpc::Status DonateNode(grpc::ServerContext* ctx, const v1::DonateNodeRequest* req,
                          v1::DonateNodeResponse* resp) override;
  grpc::Status WithdrawNodeDonation(grpc::ServerContext* ctx,
                                    const v1::WithdrawNodeDonationRequest* req,
                                    v1::WithdrawNodeDonationResponse* resp) override;

 private:
  // OK if the caller may act as storage node `node_id`.
  absl::Status CheckNode(const grpc::ServerContext& ctx, const std::string& node_id) const;
  // OK if the caller is an operator (operator certificate, or a token with the role
  // coordinator:operator).
  absl::Status CheckOperator(const grpc::ServerContext& ctx) const;
  // As CheckOperator, naming the operator: "cert:<id>" or "account:<uuid>".
  absl::StatusOr<std::string> OperatorName(const grpc::ServerContext& ctx) const;
  // The donation records with their standing now (ClusterStatus).
  absl::Status AddDonations(v1::ClusterStatusResponse* resp) const;

  // The user of a call: the verified access token, acting for the organization named
  // by the "freehold-org" metadata if any (core/org_access.h; `kind` says whether the
  // call reads or writes).
  absl::StatusOr<Caller> UserCaller(const grpc::ServerContext& ctx, OrgAccessKind kind) const;
  // As UserCaller, but OK(nullopt) without a token (public links); a call naming an
  // organization needs a token.
  absl::StatusOr<std::optional<Caller>> OptionalUserCaller(const grpc::ServerContext& ctx,
                                                           OrgAccessKind kind) const;

  CoordinatorParts p_;
};

// The "authorization" metadata value of a call ("" if absent).
std::string AuthorizationOf(const grpc::ServerContext& ctx);

// Conversions shared by the service's files.
void SetTime(absl::Time t, google::protobuf::Timestamp* out);
void ToProto(const ObjectSummary& s, v1::ObjectSummary* out);
void ToProto(const FolderSummary& f, v1::FolderSummary* out);
void ToProto(const ObjectManifest& m, v1::GetObjectResponse* out);
void ToProto(const ShardTarget& t, v1::ShardPlan* out);

}  // namespace freehold::coordinator
