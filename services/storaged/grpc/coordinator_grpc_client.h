// CoordinatorClient over gRPC: RegisterNode and Heartbeat (coordinator.proto),
// each signed with the node key: Ed25519 (plain, libsodium crypto_sign_detached)
// over the request serialized deterministically with `signature` empty.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/signed_token.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "services/storaged/core/announcer.h"

namespace freehold::storaged {

// The signature over `request` as the brief defines it (exposed for tests).
std::string SignRegisterNode(const SigningKey& key, const v1::RegisterNodeRequest& request);
std::string SignHeartbeat(const SigningKey& key, const v1::HeartbeatRequest& request);
// Deterministic bytes of a message with its `signature` field cleared.
std::string NodeSignedBytes(const v1::RegisterNodeRequest& request);
std::string NodeSignedBytes(const v1::HeartbeatRequest& request);

class CoordinatorGrpcClient final : public CoordinatorClient {
 public:
  // `clock` must outlive the client. `rpc_timeout` bounds each call.
  CoordinatorGrpcClient(std::shared_ptr<grpc::Channel> channel, SigningKey node_key, Clock& clock,
                        absl::Duration rpc_timeout = absl::Seconds(5));

  absl::StatusOr<absl::Duration> Register(const NodeRegistration& registration) override;
  absl::Status Heartbeat(const HeartbeatReport& report) override;

 private:
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  const SigningKey node_key_;
  Clock& clock_;
  const absl::Duration rpc_timeout_;
};

}  // namespace freehold::storaged
