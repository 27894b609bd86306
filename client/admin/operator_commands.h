// freehold-admin subcommands that call accounts and donations with the operator's
// access token (operator_session.h): roles and campaigns.
#pragma once

#include <string>

#include "common/client_transport.h"

namespace freehold::admin {

struct RolesCommand {
  std::string action;  // "grant", "revoke", "list"
  std::string handle;
  std::string role;
  bool json = false;
};
// Calls accounts at `accounts_address` with `bearer`. Exit code (0 ok, 1 failed).
int RunRoles(const RolesCommand& cmd, const std::string& accounts_address,
             const ClientTransport& transport, const std::string& bearer);

struct CampaignsCommand {
  std::string action;  // "create", "list", "close"
  std::string title, description, start, end;  // create; times RFC 3339
  long long goal_minor = 0;                     // create: base currency minor units
  std::string campaign_id;                      // close
  bool live_only = false;                       // list
  bool json = false;
};
// Calls donations at `donations_address` with `bearer`. Exit code (0 ok, 1 failed,
// 2 bad usage).
int RunCampaigns(const CampaignsCommand& cmd, const std::string& donations_address,
                 const ClientTransport& transport, const std::string& bearer);

}  // namespace freehold::admin
