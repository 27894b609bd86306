// report: tell the operators about an abusive public link (no account needed;
// docs/ARCHITECTURE.md "Abuse reports"). Only the link's object id leaves this
// machine: the part after '#' (the key) is cut off here and never sent.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/coordinator_api.h"
#include "client/cli/rpc.h"
#include "freehold/v1/abuse.grpc.pb.h"

namespace freehold::cli {

absl::Status RunReport(Context& ctx, const ReportArgs& args) {
  std::string link = args.link;
  if (const size_t hash = link.find('#'); hash != std::string::npos) link.resize(hash);
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator(/*anonymous=*/true);
  if (!coordinator.ok()) return coordinator.status();
  const Service& service = (*coordinator)->service();
  auto stub = v1::Abuse::NewStub(service.channel);
  v1::ReportLinkRequest req;
  req.set_link(link);
  req.set_category(args.category);
  req.set_details(args.details);
  req.set_reporter_contact(args.contact);
  grpc::ClientContext call;
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::ReportLinkResponse resp;
  grpc::Status st = stub->ReportLink(&call, req, &resp);
  if (!st.ok()) return CallFailed(st, call, service, "report the link");
  if (ctx.json()) {
    ctx.PrintJson({{"report_id", resp.report_id()}});
    return absl::OkStatus();
  }
  std::cout << "Reported (report " << resp.report_id()
            << "). An operator will review it; the file itself cannot be read by anyone at "
               "Freehold, so describe what you saw.\n";
  return absl::OkStatus();
}

}  // namespace freehold::cli
