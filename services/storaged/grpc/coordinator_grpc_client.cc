#include "services/storaged/grpc/coordinator_grpc_client.h"

#include <grpcpp/client_context.h>
#include <sodium.h>

#include "common/grpc_status.h"
#include "common/shard_claims.h"

namespace freehold::storaged {
namespace {

std::string SignBytes(const SigningKey& key, const std::string& bytes) {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       key.secret.data());
  return signature;
}

}  // namespace

std::string NodeSignedBytes(const v1::RegisterNodeRequest& request) {
  v1::RegisterNodeRequest copy = request;
  copy.clear_signature();
  return SerializeDeterministic(copy);
}

std::string NodeSignedBytes(const v1::HeartbeatRequest& request) {
  v1::HeartbeatRequest copy = request;
  copy.clear_signature();
  return SerializeDeterministic(copy);
}

std::string SignRegisterNode(const SigningKey& key, const v1::RegisterNodeRequest& request) {
  return SignBytes(key, NodeSignedBytes(request));
}

std::string SignHeartbeat(const SigningKey& key, const v1::HeartbeatRequest& request) {
  return SignBytes(key, NodeSignedBytes(request));
}

CoordinatorGrpcClient::CoordinatorGrpcClient(std::shared_ptr<grpc::Channel> channel,
                                             SigningKey node_key, Clock& clock,
                                             absl::Duration rpc_timeout)
    : stub_(v1::Coordinator::NewStub(std::move(channel))),
      node_key_(std::move(node_key)),
      clock_(clock),
      rpc_timeout_(rpc_timeout) {}

absl::StatusOr<absl::Duration> CoordinatorGrpcClient::Register(const NodeRegistration& r) {
  v1::RegisterNodeRequest request;
  v1::NodeInfo* node = request.mutable_node();
  node->set_node_id(r.node_id);
  node->set_address(r.address);
  node->mutable_domain()->set_region(r.region);
  node->mutable_domain()->set_zone(r.zone);
  node->mutable_domain()->set_host(r.host);
  node->set_capacity_bytes(r.capacity_bytes);
  node->set_node_public_key(r.public_key);
  node->set_version(r.version);
  request.set_filesystem_bytes(r.filesystem_bytes);
  request.set_signed_at_unix_seconds(absl::ToUnixSeconds(clock_.Now()));
  request.set_signature(SignRegisterNode(node_key_, request));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::RegisterNodeResponse response;
  const grpc::Status status = stub_->RegisterNode(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return absl::Seconds(response.heartbeat_interval_seconds());
}

absl::Status CoordinatorGrpcClient::Heartbeat(const HeartbeatReport& report) {
  v1::HeartbeatRequest request;
  request.set_node_id(report.node_id);
  request.set_used_bytes(report.used_bytes);
  request.set_free_bytes(report.free_bytes);
  request.set_shard_count(report.shard_count);
  request.set_version(report.version);
  for (const std::string& key : report.corrupt_shard_keys) request.add_corrupt_shard_keys(key);
  request.set_inventory_count(report.inventory_count);
  request.set_inventory_digest(report.inventory_digest);
  request.set_signed_at_unix_seconds(absl::ToUnixSeconds(clock_.Now()));
  request.set_signature(SignHeartbeat(node_key_, request));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::HeartbeatResponse response;
  return FromGrpcStatus(stub_->Heartbeat(&context, request, &response));
}

}  // namespace freehold::storaged
