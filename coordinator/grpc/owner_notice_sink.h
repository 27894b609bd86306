// OwnerNoticeSink over gRPC: Accounts.RecordOwnerNotices (core/owner_notices.h).
#pragma once

#include <grpcpp/channel.h>

#include <memory>

#include "coordinator/core/owner_notices.h"

namespace freehold::coordinator {

// Accounts accepts the call from the coordinator role only: `channel` must present the
// coordinator's certificate (or, without TLS, come from loopback). Thread-safe.
class GrpcOwnerNoticeSink : public OwnerNoticeSink {
 public:
  explicit GrpcOwnerNoticeSink(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)) {}
  absl::Status Deliver(const std::vector<OwnerNotice>& notices) override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace freehold::coordinator
