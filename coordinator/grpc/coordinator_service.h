// freehold.v1.Coordinator over gRPC: converts requests to core calls and core
// results to responses; authentication comes from the "authorization"
// metadata (user calls), node signatures (node calls) or the operator secret.
#pragma once

#include <grpcpp/grpcpp.h>

#include "coordinator/core/access.h"
#include "coordinator/core/maintenance.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/object_writer.h"
#include "freehold/v1/coordinator.grpc.pb.h"

namespace freehold::coordinator {

struct CoordinatorParts {
  AccessTokenVerifier& tokens;
  NodeRegistry& registry;
  ObjectWriter& writer;
  ObjectCatalog& catalog;
  ClusterMonitor& monitor;
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
  grpc::Status CommitSegment(grpc::ServerContext* ctx, const v1::CommitSegmentRequest* req,
                             v1::CommitSegmentResponse* resp) override;
  grpc::Status CommitObject(grpc::ServerContext* ctx, const v1::CommitObjectRequest* req,
                            v1::CommitObjectResponse* resp) override;
  grpc::Status GetObject(grpc::ServerContext* ctx, const v1::GetObjectRequest* req,
                         v1::GetObjectResponse* resp) override;
  grpc::Status ListObjects(grpc::ServerContext* ctx, const v1::ListObjectsRequest* req,
                           v1::ListObjectsResponse* resp) override;
  grpc::Status DeleteObject(grpc::ServerContext* ctx, const v1::DeleteObjectRequest* req,
                            v1::DeleteObjectResponse* resp) override;
  grpc::Status UpdateHeader(grpc::ServerContext* ctx, const v1::UpdateHeaderRequest* req,
                            v1::UpdateHeaderResponse* resp) override;
  grpc::Status SetPublicLink(grpc::ServerContext* ctx, const v1::SetPublicLinkRequest* req,
                             v1::SetPublicLinkResponse* resp) override;
  grpc::Status ClusterStatus(grpc::ServerContext* ctx, const v1::ClusterStatusRequest* req,
                             v1::ClusterStatusResponse* resp) override;
  grpc::Status SetNodeState(grpc::ServerContext* ctx, const v1::SetNodeStateRequest* req,
                            v1::SetNodeStateResponse* resp) override;

 private:
  CoordinatorParts p_;
};

// The "authorization" metadata value of a call ("" if absent).
std::string AuthorizationOf(const grpc::ServerContext& ctx);

}  // namespace freehold::coordinator
