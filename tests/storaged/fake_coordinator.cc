#include "tests/storaged/fake_coordinator.h"

#include <sodium.h>

#include "services/storaged/grpc/coordinator_grpc_client.h"

namespace freehold::storaged::testing {
namespace {

bool SignatureOk(const std::string& public_key, const std::string& bytes,
                 const std::string& signature) {
  return public_key.size() == 32 && signature.size() == 64 &&
         crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
             reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

}  // namespace

grpc::Status FakeCoordinator::RegisterNode(grpc::ServerContext*,
                                           const v1::RegisterNodeRequest* request,
                                           v1::RegisterNodeResponse* response) {
  absl::MutexLock lock(&mu_);
  if (!SignatureOk(request->node().node_public_key(), NodeSignedBytes(*request),
                   request->signature())) {
    ++bad_signatures_;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad node signature");
  }
  node_keys_[request->node().node_id()] = request->node().node_public_key();
  registrations_.push_back(*request);
  response->set_heartbeat_interval_seconds(0);  // keep the daemon's own interval
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* request,
                                        v1::HeartbeatResponse* response) {
  absl::MutexLock lock(&mu_);
  auto it = node_keys_.find(request->node_id());
  if (it == node_keys_.end()) {
    ++not_found_answers_;
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "node is not registered; register again");
  }
  if (!SignatureOk(it->second, NodeSignedBytes(*request), request->signature())) {
    ++bad_signatures_;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad node signature");
  }
  heartbeats_.push_back(*request);
  response->set_state(v1::NODE_STATE_UP);
  return grpc::Status::OK;
}

absl::StatusOr<std::unique_ptr<GrpcServer>> FakeCoordinator::Serve(const std::string& listen) {
  GrpcServerOptions options;
  options.listen_address = listen;
  return GrpcServer::Start(options, {this});
}

void FakeCoordinator::ForgetAllNodes() {
  absl::MutexLock lock(&mu_);
  node_keys_.clear();
}

bool FakeCoordinator::WaitFor(const std::function<bool(const FakeCoordinator&)>& pred,
                              absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (pred(*this)) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return pred(*this);
}

int FakeCoordinator::registrations() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(registrations_.size());
}

int FakeCoordinator::heartbeats() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(heartbeats_.size());
}

int FakeCoordinator::bad_signatures() const {
  absl::MutexLock lock(&mu_);
  return bad_signatures_;
}

std::vector<v1::RegisterNodeRequest> FakeCoordinator::registration_requests() const {
  absl::MutexLock lock(&mu_);
  return registrations_;
}

std::vector<v1::HeartbeatRequest> FakeCoordinator::heartbeat_requests() const {
  absl::MutexLock lock(&mu_);
  return heartbeats_;
}

std::vector<std::string> FakeCoordinator::corrupt_keys_reported() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  for (const auto& beat : heartbeats_) {
    keys.insert(keys.end(), beat.corrupt_shard_keys().begin(), beat.corrupt_shard_keys().end());
  }
  return keys;
}

}  // namespace freehold::storaged::testing
