// freehold-admin abuse (see abuse_commands.h).
#include "client/admin/abuse_commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <iostream>

#include "absl/time/time.h"
#include "common/grpc_server.h"
#include "client/admin/admin_rpc.h"
#include "common/grpc_status.h"
#include "freehold/v1/abuse.grpc.pb.h"

namespace freehold::admin {
namespace {

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

void PrintReport(const v1::AbuseReportInfo& r) {
  std::cout << "report     " << r.report_id() << "\n"
            << "link       freehold://" << r.object_id() << "\n"
            << "category   " << r.category() << "\n"
            << "received   " << Time(r.received_at()) << "\n"
            << "status     " << r.status() << "\n";
  if (r.has_resolved_at()) std::cout << "resolved   " << Time(r.resolved_at()) << "\n";
  if (!r.resolution_note().empty()) std::cout << "note       " << r.resolution_note() << "\n";
  if (!r.reporter_contact().empty()) std::cout << "contact    " << r.reporter_contact() << "\n";
  std::cout << "details\n" << r.details() << "\n";
}

}  // namespace

int RunAbuse(const AbuseCommand& cmd, const std::string& address,
             const ClientTransport& transport, const std::string& bearer) {
  absl::StatusOr<ClientTlsOptions> tls = transport.For(address, &std::cerr);
  if (!tls.ok()) {
    std::cerr << "freehold-admin: connect " << address << ": " << tls.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(address, *tls);
  if (!channel.ok()) {
    std::cerr << "freehold-admin: connect " << address << ": " << channel.status().message()
              << "\n";
    return 1;
  }
  auto stub = v1::Abuse::NewStub(*channel);
  if (cmd.action == "ls") {
    v1::ListAbuseReportsRequest req;
    req.set_status(cmd.status);
    req.set_page_size(1000);
    v1::ListAbuseReportsResponse resp;
    grpc::Status st = stub->ListAbuseReports(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed("list abuse reports", st);
    if (cmd.json) {
      PrintJson(resp);
      return 0;
    }
    std::printf("%-36s %-20s %-16s %-14s %s\n", "REPORT", "RECEIVED", "CATEGORY", "STATUS",
                "LINK");
    for (const v1::AbuseReportInfo& r : resp.reports()) {
      std::printf("%-36s %-20s %-16s %-14s freehold://%s\n", r.report_id().c_str(),
                  Time(r.received_at()).c_str(), r.category().c_str(), r.status().c_str(),
                  r.object_id().c_str());
    }
    return 0;
  }
  if (cmd.action == "show") {
    v1::GetAbuseReportRequest req;
    req.set_report_id(cmd.report_id);
    v1::GetAbuseReportResponse resp;
    grpc::Status st = stub->GetAbuseReport(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed("abuse report " + cmd.report_id, st);
    if (cmd.json) {
      PrintJson(resp.report());
      return 0;
    }
    PrintReport(resp.report());
    return 0;
  }
  if (cmd.action == "disable" || cmd.action == "dismiss") {
    v1::ResolveAbuseReportRequest req;
    req.set_report_id(cmd.report_id);
    req.set_disable_link(cmd.action == "disable");
    req.set_note(cmd.note);
    v1::ResolveAbuseReportResponse resp;
    grpc::Status st = stub->ResolveAbuseReport(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed(cmd.action + " " + cmd.report_id, st);
    if (cmd.json) {
      PrintJson(resp.report());
      return 0;
    }
    if (cmd.action == "disable") {
      std::cout << "The public link freehold://" << resp.report().object_id()
                << " no longer works (report " << cmd.report_id << " resolved)\n";
    } else {
      std::cout << "Report " << cmd.report_id << " dismissed\n";
    }
    return 0;
  }
  if (cmd.action == "authority-add") {
    v1::RecordAuthorityRequestRequest req;
    req.set_received_on(cmd.date);
    req.set_kind(cmd.kind);
    req.set_jurisdiction(cmd.jurisdiction);
    req.set_outcome(cmd.outcome);
    v1::RecordAuthorityRequestResponse resp;
    grpc::Status st = stub->RecordAuthorityRequest(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed("record authority request", st);
    if (cmd.json) {
      PrintJson(resp);
      return 0;
    }
    std::cout << resp.request_id() << "\n";
    return 0;
  }
  if (cmd.action == "authority-ls") {
    v1::ListAuthorityRequestsRequest req;
    req.set_page_size(1000);
    v1::ListAuthorityRequestsResponse resp;
    grpc::Status st = stub->ListAuthorityRequests(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed("list authority requests", st);
    if (cmd.json) {
      PrintJson(resp);
      return 0;
    }
    std::printf("%-36s %-10s %-16s %-12s %s\n", "REQUEST", "RECEIVED", "KIND", "JURISDICTION",
                "OUTCOME");
    for (const v1::AuthorityRequestInfo& a : resp.requests()) {
      std::printf("%-36s %-10s %-16s %-12s %s\n", a.request_id().c_str(), a.received_on().c_str(),
                  a.kind().c_str(), a.jurisdiction().c_str(), a.outcome().c_str());
    }
    return 0;
  }
  v1::GetAbuseCountsResponse resp;
  grpc::Status st = stub->GetAbuseCounts(Context(bearer).get(), {}, &resp);
  if (!st.ok()) return Failed("abuse counts", st);
  if (cmd.json) {
    PrintJson(resp);
    return 0;
  }
  std::cout << "reports received    " << resp.reports_received() << "\n"
            << "links disabled      " << resp.links_disabled() << "\n"
            << "authority requests  " << resp.authority_requests() << "\n";
  return 0;
}

}  // namespace freehold::admin
