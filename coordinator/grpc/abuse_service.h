// freehold.v1.Abuse over gRPC (proto/freehold/v1/abuse.proto): a thin skin over
// AbuseDesk (core/abuse_desk.h). ReportLink and GetAbuseCounts are public (the
// reporter's network, from the peer address, is the rate-limit key and is not
// stored); every other call needs an operator (certificate with role
// coordinator:operator, or an access token with that role / the operator secret),
// as the Coordinator service's operator calls.
#pragma once

#include <grpcpp/grpcpp.h>

#include "coordinator/core/abuse_desk.h"
#include "coordinator/core/access.h"
#include "freehold/v1/abuse.grpc.pb.h"

namespace freehold::coordinator {

class AbuseGrpcService final : public v1::Abuse::Service {
 public:
  AbuseGrpcService(AbuseDesk& desk, AccessTokenVerifier& tokens) : desk_(desk), tokens_(tokens) {}

  grpc::Status ReportLink(grpc::ServerContext* ctx, const v1::ReportLinkRequest* req,
                          v1::ReportLinkResponse* resp) override;
  grpc::Status ListAbuseReports(grpc::ServerContext* ctx, const v1::ListAbuseReportsRequest* req,
                                v1::ListAbuseReportsResponse* resp) override;
  grpc::Status GetAbuseReport(grpc::ServerContext* ctx, const v1::GetAbuseReportRequest* req,
                              v1::GetAbuseReportResponse* resp) override;
  grpc::Status ResolveAbuseReport(grpc::ServerContext* ctx,
                                  const v1::ResolveAbuseReportRequest* req,
                                  v1::ResolveAbuseReportResponse* resp) override;
  grpc::Status RecordAuthorityRequest(grpc::ServerContext* ctx,
                                      const v1::RecordAuthorityRequestRequest* req,
                                      v1::RecordAuthorityRequestResponse* resp) override;
  grpc::Status ListAuthorityRequests(grpc::ServerContext* ctx,
                                     const v1::ListAuthorityRequestsRequest* req,
                                     v1::ListAuthorityRequestsResponse* resp) override;
  grpc::Status GetAbuseCounts(grpc::ServerContext* ctx, const v1::GetAbuseCountsRequest* req,
                              v1::GetAbuseCountsResponse* resp) override;

 private:
  absl::Status CheckOperator(const grpc::ServerContext& ctx) const;

  AbuseDesk& desk_;
  AccessTokenVerifier& tokens_;
};

}  // namespace freehold::coordinator
