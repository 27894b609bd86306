// Roles and campaigns from freehold-admin (see operator_commands.h).
#include "client/admin/operator_commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/grpc_server.h"
#include "client/admin/admin_rpc.h"
#include "common/grpc_status.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "freehold/v1/donations.grpc.pb.h"

namespace freehold::admin {
namespace {

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::string& address,
                                                       const ClientTransport& transport) {
  absl::StatusOr<ClientTlsOptions> tls = transport.For(address, &std::cerr);
  if (!tls.ok()) return tls.status();
  return MakeChannel(address, *tls);
}

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

bool ParseTime(const std::string& text, const char* flag, google::protobuf::Timestamp* out) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    std::cerr << "freehold-admin: " << flag << ": \"" << text << "\" is not RFC 3339 (" << err
              << ")\n";
    return false;
  }
  out->set_seconds(absl::ToUnixSeconds(t));
  return true;
}

void PrintCampaign(const v1::Campaign& c) {
  std::printf("%-36s %-30s %14lld %14lld %-20s %-20s\n", c.campaign_id().c_str(),
              c.title().substr(0, 30).c_str(), static_cast<long long>(c.goal_base_minor()),
              static_cast<long long>(c.raised_base_minor()), Time(c.start()).c_str(),
              Time(c.end()).c_str());
}

void PrintCampaignHeader() {
  std::printf("%-36s %-30s %14s %14s %-20s %-20s\n", "CAMPAIGN", "TITLE", "GOAL (minor)",
              "RAISED", "START", "END");
}

}  // namespace

int RunRoles(const RolesCommand& cmd, const std::string& accounts_address,
             const ClientTransport& transport, const std::string& bearer) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Connect(accounts_address, transport);
  if (!channel.ok()) {
    std::cerr << "freehold-admin: connect " << accounts_address << ": "
              << channel.status().message() << "\n";
    return 1;
  }
  auto stub = v1::Accounts::NewStub(*channel);
  if (cmd.action == "list") {
    v1::ListRolesResponse resp;
    grpc::Status st = stub->ListRoles(Context(bearer).get(), {}, &resp);
    if (!st.ok()) return Failed("list roles", st);
    if (cmd.json) {
      PrintJson(resp);
      return 0;
    }
    std::printf("%-32s %-22s %-36s %s\n", "HANDLE", "ROLE", "ACCOUNT", "GRANTED");
    for (const v1::RoleGrant& g : resp.grants()) {
      std::printf("%-32s %-22s %-36s %s\n", g.handle().c_str(), g.role().c_str(),
                  g.account_id().c_str(),
                  absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                   absl::FromUnixMillis(g.granted_at_unix_ms()),
                                   absl::UTCTimeZone())
                      .c_str());
    }
    return 0;
  }
  if (cmd.action == "grant") {
    v1::GrantRoleRequest req;
    req.set_handle(cmd.handle);
    req.set_role(cmd.role);
    v1::GrantRoleResponse resp;
    grpc::Status st = stub->GrantRole(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed("grant " + cmd.role + " to " + cmd.handle, st);
    std::cout << cmd.handle << (resp.granted() ? " now holds " : " already held ") << cmd.role
              << " (in force from the account's next login or token refresh)\n";
    return 0;
  }
  v1::RevokeRoleRequest req;
  req.set_handle(cmd.handle);
  req.set_role(cmd.role);
  v1::RevokeRoleResponse resp;
  grpc::Status st = stub->RevokeRole(Context(bearer).get(), req, &resp);
  if (!st.ok()) return Failed("revoke " + cmd.role + " from " + cmd.handle, st);
  std::cout << cmd.handle << (resp.revoked() ? " no longer holds " : " did not hold ") << cmd.role
            << "\n";
  return 0;
}

int RunCampaigns(const CampaignsCommand& cmd, const std::string& donations_address,
                 const ClientTransport& transport, const std::string& bearer) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Connect(donations_address, transport);
  if (!channel.ok()) {
    std::cerr << "freehold-admin: connect " << donations_address << ": "
              << channel.status().message() << "\n";
    return 1;
  }
  auto stub = v1::Donations::NewStub(*channel);
  if (cmd.action == "create") {
    v1::CreateCampaignRequest req;
    req.set_title(cmd.title);
    req.set_description(cmd.description);
    req.set_goal_base_minor(cmd.goal_minor);
    if (!cmd.start.empty() && !ParseTime(cmd.start, "--start", req.mutable_start())) return 2;
    if (!cmd.end.empty() && !ParseTime(cmd.end, "--end", req.mutable_end())) return 2;
    v1::CreateCampaignResponse resp;
    grpc::Status st = stub->CreateCampaign(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed("create campaign", st);
    if (cmd.json) {
      PrintJson(resp.campaign());
      return 0;
    }
    std::cout << resp.campaign().campaign_id() << "\n";
    return 0;
  }
  if (cmd.action == "close") {
    v1::CloseCampaignRequest req;
    req.set_campaign_id(cmd.campaign_id);
    v1::CloseCampaignResponse resp;
    grpc::Status st = stub->CloseCampaign(Context(bearer).get(), req, &resp);
    if (!st.ok()) return Failed("close campaign " + cmd.campaign_id, st);
    if (cmd.json) {
      PrintJson(resp.campaign());
      return 0;
    }
    std::cout << cmd.campaign_id << " closed at " << Time(resp.campaign().end()) << "\n";
    return 0;
  }
  v1::ListCampaignsRequest req;
  req.set_live_only(cmd.live_only);
  req.mutable_page()->set_page_size(1000);
  v1::ListCampaignsResponse resp;
  grpc::Status st = stub->ListCampaigns(Context(bearer).get(), req, &resp);
  if (!st.ok()) return Failed("list campaigns", st);
  if (cmd.json) {
    PrintJson(resp);
    return 0;
  }
  PrintCampaignHeader();
  for (const v1::Campaign& c : resp.campaigns()) PrintCampaign(c);
  return 0;
}

}  // namespace freehold::admin
