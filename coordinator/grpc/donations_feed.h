// DonationsFeed over gRPC: calls Donations.GetFundingSummary (public RPC, no
// credentials) on freehold-donations and converts the response to a
// DonationsReport.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/time/time.h"
#include "coordinator/core/donations_report.h"
#include "freehold/v1/donations.grpc.pb.h"

namespace freehold::coordinator {

// Copies the response field for field (pure; for tests).
DonationsReport ReportFromProto(const v1::GetFundingSummaryResponse& resp);

class GrpcDonationsFeed : public DonationsFeed {
 public:
  GrpcDonationsFeed(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  absl::StatusOr<DonationsReport> Fetch() override;

 private:
  std::unique_ptr<v1::Donations::Stub> stub_;
  const absl::Duration timeout_;
};

}  // namespace freehold::coordinator
