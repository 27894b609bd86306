// freehold.v1.Funding over gRPC: serves the FundingMonitor's latest snapshot.
// Public: no authentication, and only aggregate figures (never per-account
// data). UNAVAILABLE until the monitor's first refresh.
#pragma once

#include <grpcpp/grpcpp.h>

#include "coordinator/core/funding_monitor.h"
#include "freehold/v1/funding.grpc.pb.h"

namespace freehold::coordinator {

// Copies a snapshot into the wire message (pure; for tests).
void ToProto(const FundingSnapshot& snapshot, v1::FundingStatus* out);

class FundingGrpcService final : public v1::Funding::Service {
 public:
  explicit FundingGrpcService(const FundingMonitor& monitor) : monitor_(monitor) {}

  grpc::Status GetFundingStatus(grpc::ServerContext* ctx, const v1::GetFundingStatusRequest* req,
                                v1::GetFundingStatusResponse* resp) override;

 private:
  const FundingMonitor& monitor_;
};

}  // namespace freehold::coordinator
