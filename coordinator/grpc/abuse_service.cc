#include "coordinator/grpc/abuse_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "coordinator/grpc/coordinator_service.h"

namespace freehold::coordinator {
namespace {

void ToProto(const AbuseReport& r, v1::AbuseReportInfo* out) {
  out->set_report_id(r.report_id);
  out->set_object_id(r.object_id);
  out->set_category(r.category);
  out->set_details(r.details);
  out->set_reporter_contact(r.reporter_contact);
  SetTime(r.received_at, out->mutable_received_at());
  out->set_status(ReportStatusName(r.status));
  if (r.resolved_at.has_value()) SetTime(*r.resolved_at, out->mutable_resolved_at());
  out->set_resolution_note(r.resolution_note);
}

int PageSize(uint32_t size) { return size > 1000000 ? 1000000 : static_cast<int>(size); }

}  // namespace

absl::Status AbuseGrpcService::CheckOperator(const grpc::ServerContext& ctx) const {
  if (std::optional<PeerIdentity> who = CallerIdentity(ctx); who.has_value()) {
    if (who->role == kRoleOperator) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat(who->role, ":", who->id, " may not make this call; it needs role ",
                     std::string(kRoleOperator)));
  }
  return tokens_.AuthenticateOperator(AuthorizationOf(ctx)).status();
}

grpc::Status AbuseGrpcService::ReportLink(grpc::ServerContext* ctx,
                                          const v1::ReportLinkRequest* req,
                                          v1::ReportLinkResponse* resp) {
  ReportInput in{req->link(), req->category(), req->details(), req->reporter_contact()};
  absl::StatusOr<std::string> id = desk_.Report(in, NetworkOfPeer(ctx->peer()));
  if (!id.ok()) {
    if (absl::IsResourceExhausted(id.status())) {
      ctx->AddTrailingMetadata("retry-after-ms", "600000");
    }
    return ToGrpcStatus(id.status());
  }
  resp->set_report_id(*id);
  return grpc::Status::OK;
}

grpc::Status AbuseGrpcService::ListAbuseReports(grpc::ServerContext* ctx,
                                                const v1::ListAbuseReportsRequest* req,
                                                v1::ListAbuseReportsResponse* resp) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<std::vector<AbuseReport>> list =
      desk_.List(req->status(), PageSize(req->page_size()));
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const AbuseReport& r : *list) ToProto(r, resp->add_reports());
  return grpc::Status::OK;
}

grpc::Status AbuseGrpcService::GetAbuseReport(grpc::ServerContext* ctx,
                                              const v1::GetAbuseReportRequest* req,
                                              v1::GetAbuseReportResponse* resp) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<AbuseReport> r = desk_.Get(req->report_id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  ToProto(*r, resp->mutable_report());
  return grpc::Status::OK;
}

grpc::Status AbuseGrpcService::ResolveAbuseReport(grpc::ServerContext* ctx,
                                                  const v1::ResolveAbuseReportRequest* req,
                                                  v1::ResolveAbuseReportResponse* resp) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<AbuseReport> r = req->disable_link()
                                      ? desk_.DisableLink(req->report_id(), req->note())
                                      : desk_.Dismiss(req->report_id(), req->note());
  if (!r.ok()) return ToGrpcStatus(r.status());
  ToProto(*r, resp->mutable_report());
  return grpc::Status::OK;
}

grpc::Status AbuseGrpcService::RecordAuthorityRequest(
    grpc::ServerContext* ctx, const v1::RecordAuthorityRequestRequest* req,
    v1::RecordAuthorityRequestResponse* resp) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  AuthorityRequestInput in{req->received_on(), req->kind(), req->jurisdiction(), req->outcome()};
  absl::StatusOr<std::string> id = desk_.RecordAuthorityRequest(in);
  if (!id.ok()) return ToGrpcStatus(id.status());
  resp->set_request_id(*id);
  return grpc::Status::OK;
}

grpc::Status AbuseGrpcService::ListAuthorityRequests(grpc::ServerContext* ctx,
                                                     const v1::ListAuthorityRequestsRequest* req,
                                                     v1::ListAuthorityRequestsResponse* resp) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<std::vector<AuthorityRequest>> list =
      desk_.ListAuthorityRequests(PageSize(req->page_size()));
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const AuthorityRequest& a : *list) {
    v1::AuthorityRequestInfo* out = resp->add_requests();
    out->set_request_id(a.request_id);
    out->set_received_on(a.received_on);
    out->set_kind(a.kind);
    out->set_jurisdiction(a.jurisdiction);
    out->set_outcome(a.outcome);
    SetTime(a.recorded_at, out->mutable_recorded_at());
  }
  return grpc::Status::OK;
}

grpc::Status AbuseGrpcService::GetAbuseCounts(grpc::ServerContext*,
                                              const v1::GetAbuseCountsRequest*,
                                              v1::GetAbuseCountsResponse* resp) {
  absl::StatusOr<AbuseCounts> c = desk_.Counts();
  if (!c.ok()) return ToGrpcStatus(c.status());
  resp->set_reports_received(c->reports_received);
  resp->set_links_disabled(c->links_disabled);
  resp->set_authority_requests(c->authority_requests);
  return grpc::Status::OK;
}

}  // namespace freehold::coordinator
