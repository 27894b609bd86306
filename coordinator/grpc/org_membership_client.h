// Accounts.CheckOrgMember for the coordinator's org calls (core/org_access.h). The
// channel must present the coordinator's certificate (accounts admits the coordinator
// role only; without TLS, loopback only), like the deletion outbox feed.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "coordinator/core/org_access.h"

namespace freehold::coordinator {

// Thread-safe.
class GrpcOrgMembership : public OrgMembership {
 public:
  explicit GrpcOrgMembership(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)) {}
  absl::StatusOr<std::string> RoleOf(const std::string& org_id,
                                     const std::string& account_id) override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace freehold::coordinator
