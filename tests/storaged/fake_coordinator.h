// A fake Coordinator gRPC service for storaged tests: answers RegisterNode and
// Heartbeat, checks the node signatures, records what it saw, and can "forget"
// nodes so the next heartbeat gets NOT_FOUND. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/grpc_server.h"
#include "freehold/v1/coordinator.grpc.pb.h"

namespace freehold::storaged::testing {

class FakeCoordinator final : public v1::Coordinator::Service {
 public:
  grpc::Status RegisterNode(grpc::ServerContext* context, const v1::RegisterNodeRequest* request,
                            v1::RegisterNodeResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* context, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;

  // Starts serving on `listen` ("127.0.0.1:0" or a fixed port).
  absl::StatusOr<std::unique_ptr<GrpcServer>> Serve(const std::string& listen);

  void ForgetAllNodes();
  // Polls (bounded by `timeout`) until `pred` holds.
  bool WaitFor(const std::function<bool(const FakeCoordinator&)>& pred,
               absl::Duration timeout = absl::Seconds(15)) const;

  // Accessors for use inside WaitFor predicates or after it (take the lock).
  int registrations() const;
  int heartbeats() const;
  int bad_signatures() const;
  std::vector<v1::RegisterNodeRequest> registration_requests() const;
  std::vector<v1::HeartbeatRequest> heartbeat_requests() const;
  std::vector<std::string> corrupt_keys_reported() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> node_keys_ ABSL_GUARDED_BY(mu_);  // id -> public key
  std::vector<v1::RegisterNodeRequest> registrations_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::HeartbeatRequest> heartbeats_ ABSL_GUARDED_BY(mu_);
  int bad_signatures_ ABSL_GUARDED_BY(mu_) = 0;
  int not_found_answers_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace freehold::storaged::testing
