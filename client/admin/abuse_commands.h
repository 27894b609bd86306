// freehold-admin abuse: abuse reports of public links and requests from authorities
// (proto/freehold/v1/abuse.proto; the coordinator's operator calls).
//
//   abuse ls [--status open|dismissed|link_disabled|all] [--json]
//   abuse show REPORT_ID [--json]
//   abuse disable REPORT_ID [--note TEXT]   the link stops working for good
//   abuse dismiss REPORT_ID [--note TEXT]
//   abuse authority-request add --date YYYY-MM-DD --kind K --jurisdiction J --outcome O
//   abuse authority-request ls [--json]
//   abuse counts [--json]                   the public counts (as on the transparency page)
#pragma once

#include <string>

#include "common/client_transport.h"

namespace freehold::admin {

struct AbuseCommand {
  std::string action;  // ls, show, disable, dismiss, authority-add, authority-ls, counts
  std::string status = "open";
  std::string report_id;
  std::string note;
  std::string date, kind, jurisdiction, outcome;
  bool json = false;
};

// Calls the coordinator at `address`: operator calls authorized by the transport's
// operator certificate or `bearer`. Exit code (0 ok, 1 failed).
int RunAbuse(const AbuseCommand& cmd, const std::string& address,
             const ClientTransport& transport, const std::string& bearer);

}  // namespace freehold::admin
