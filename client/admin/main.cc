// freehold-admin: the operators' command line.
//
//   freehold-admin health --address HOST:PORT [--wait SECONDS]
//   freehold-admin [--coordinator ADDR] nodes [--json] [--wait-up N --wait SECONDS]
//   freehold-admin [--coordinator ADDR] nodes pending [--json]
//   freehold-admin [--coordinator ADDR] nodes approve NODE_ID [--public-key KEY]
//   freehold-admin [--coordinator ADDR] nodes revoke NODE_ID
//   freehold-admin [--coordinator ADDR] nodes donate NODE_ID --donated-by NAME
//                    (--terms TEXT | --terms-file FILE) [--cap-bytes N]
//   freehold-admin [--coordinator ADDR] nodes undonate NODE_ID
//   freehold-admin [--coordinator ADDR] drain NODE_ID | retire NODE_ID | undrain NODE_ID
//   freehold-admin [--coordinator ADDR] status [--json]
//   freehold-admin [--accounts ADDR] login --handle HANDLE [--password-file F]
//   freehold-admin logout
//   freehold-admin roles grant HANDLE ROLE | roles revoke HANDLE ROLE | roles list [--json]
//   freehold-admin [--donations ADDR] campaigns create --title T --goal-minor N
//                    [--description D] [--start RFC3339] [--end RFC3339] [--json]
//   freehold-admin [--donations ADDR] campaigns list [--live] [--json]
//   freehold-admin [--donations ADDR] campaigns close CAMPAIGN_ID
//   freehold-admin [--coordinator ADDR] abuse ls|show|disable|dismiss|counts ...
//   freehold-admin [--coordinator ADDR] abuse authority-request add|ls ...
//                    (client/admin/abuse_commands.h)
//
// Authentication (operator_session.h): `login` logs in as an account of
// freehold-accounts and keeps the session in the admin's config directory
// (--config-dir, env FREEHOLD_ADMIN_CONFIG_DIR); every operator call then sends the
// session's access token, which carries the account's roles: coordinator:operator
// (nodes, status, drain, ...), donations:admin (campaigns), accounts:admin (roles).
// The first admin is made with `freehold-accounts --bootstrap-admin HANDLE`.
// With an operator certificate (--tls-cert/--tls-key) coordinator calls go over mutual
// TLS and the certificate authorises them. There is no shared operator secret (issue
// 22): the old --token-file is refused, naming these two ways.
//
// Node admission: a storage node is placed only after `nodes approve`. KEY is the
// "public_key" line of `freehold-storaged --print-identity --data-dir DIR`
// (fh-ed25519-public:<node id>:<key>); without --public-key the key of the
// node's pending (refused) registration is approved -- compare its fingerprint
// in `nodes pending` with the node's first.
//
// Donated disks: `nodes donate` records that an approved node's capacity is donated by
// its owner (NAME, as they wish to be credited) under the agreed terms; while the node
// is in good standing its audited, available capacity counts as an in-kind donation
// (docs/ARCHITECTURE.md "Donated disks"). `nodes` lists the records with their standing.
//
// Transport: TLS, the server verified against the system trust store or
// --ca-file (FREEHOLD_CA_FILE); --tls-cert/--tls-key (FREEHOLD_ADMIN_TLS_CERT/KEY)
// present an operator client certificate as well. --plaintext only to loopback
// addresses; --insecure-plaintext-to-remote-host to others, with a warning.
//
// Exit codes: 0 ok, 1 the operation failed (message on stderr), 2 bad usage.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/admin/abuse_commands.h"
#include "client/admin/operator_commands.h"
#include "client/admin/operator_session.h"
#include "common/client_transport.h"
#include "common/config.h"
#include "common/removed_flag.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "common/signed_token.h"
#include "common/tls_config.h"
#include "freehold/v1/coordinator.grpc.pb.h"

namespace {

using freehold::v1::Coordinator;

const char* NodeStateName(freehold::v1::NodeState s) {
  switch (s) {
    case freehold::v1::NODE_STATE_UP: return "up";
    case freehold::v1::NODE_STATE_DOWN: return "down";
    case freehold::v1::NODE_STATE_DRAINING: return "draining";
    case freehold::v1::NODE_STATE_RETIRED: return "retired";
    default: return "unknown";
  }
}

std::string HumanBytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 5) { v /= 1024; ++u; }
  return u == 0 ? absl::StrFormat("%d B", b) : absl::StrFormat("%.1f %s", v, units[u]);
}

// The terms of a donated disk from a file: at most 16 KiB (the coordinator's limit).
absl::StatusOr<std::string> ReadTermsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError("cannot read " + path);
  if (text.size() > 16384) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds ", text.size(),
                                                   " bytes; terms are at most 16384"));
  }
  return text;
}

freehold::ClientTransport g_transport;  // set once in main before any call

int Fail(const std::string& what, const absl::Status& status) {
  std::cerr << "freehold-admin: " << what << ": " << status.message() << " ("
            << absl::StatusCodeToString(status.code()) << ")\n";
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    if (std::string hint = g_transport.Hint(std::string(status.message())); !hint.empty()) {
      std::cerr << "freehold-admin: TLS: " << hint << "\n";
    }
  }
  return 1;
}

// The saved session's access token ("" when nobody is logged in: then only an
// operator certificate authorises coordinator calls). Set once in main before any call.
std::string g_operator_token;

void Authorize(grpc::ClientContext& ctx) {
  if (!g_operator_token.empty()) ctx.AddMetadata("authorization", "Bearer " + g_operator_token);
}

absl::StatusOr<freehold::v1::ClusterStatusResponse> FetchStatus(Coordinator::Stub& stub) {
  grpc::ClientContext ctx;
  Authorize(ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  freehold::v1::ClusterStatusResponse resp;
  grpc::Status st = stub.ClusterStatus(&ctx, {}, &resp);
  if (!st.ok()) return freehold::FromGrpcStatus(st);
  return resp;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"freehold-admin: operate a Freehold fleet"};
  app.require_subcommand(1);
  std::string coordinator = "127.0.0.1:17103";
  freehold::AddFlag(app, "--coordinator", &coordinator, "coordinator gRPC address",
                    "FREEHOLD_COORDINATOR_ADDR");
  freehold::AddRemovedFlag(app, "--token-file",
                           "there is no shared operator secret any more; log in as an "
                           "account with the role coordinator:operator (freehold-admin login "
                           "--handle HANDLE) or present an operator certificate (--tls-cert/"
                           "--tls-key)");
  std::string accounts_address = "127.0.0.1:17101";
  freehold::AddFlag(app, "--accounts", &accounts_address, "accounts gRPC address (login, roles)",
                    "FREEHOLD_ACCOUNTS_ADDR");
  std::string donations_address = "127.0.0.1:17102";
  freehold::AddFlag(app, "--donations", &donations_address, "donations gRPC address (campaigns)",
                    "FREEHOLD_DONATIONS_ADDR");
  std::string config_dir;
  freehold::AddFlag(app, "--config-dir", &config_dir,
                    "where `login` keeps the session (default: the freehold CLI's config "
                    "dir + /admin)",
                    "FREEHOLD_ADMIN_CONFIG_DIR");

  freehold::AddClientTransportFlags(app, &g_transport, /*client_certificate=*/true);

  auto* health = app.add_subcommand("health", "check a process's gRPC health service");
  std::string address;
  double wait_seconds = 0;
  health->add_option("--address", address, "host:port of the process")->required();
  health->add_option("--wait", wait_seconds, "keep polling up to this many seconds");

  auto* nodes = app.add_subcommand("nodes", "list storage nodes and their state");
  bool json = false;
  int wait_up = 0;
  nodes->add_flag("--json", json, "machine-readable output");
  nodes->add_option("--wait-up", wait_up, "wait until at least N nodes are up");
  nodes->add_option("--wait", wait_seconds, "how long to wait, seconds");

  auto* pending = nodes->add_subcommand("pending", "list refused registration attempts");
  pending->add_flag("--json", json, "machine-readable output");
  std::string node_id;
  std::string public_key;
  auto* approve = nodes->add_subcommand("approve", "admit a storage node (it may then register)");
  approve->add_option("NODE_ID", node_id)->required();
  approve->add_option("--public-key", public_key,
                      "the node's key from freehold-storaged --print-identity; default: the "
                      "key of its pending registration");
  auto* revoke = nodes->add_subcommand("revoke", "refuse a node from now on (no placement)");
  revoke->add_option("NODE_ID", node_id)->required();
  std::string donated_by, terms, terms_file;
  uint64_t cap_bytes = 0;
  auto* donate = nodes->add_subcommand(
      "donate", "record that an approved node's disk is donated (counts as in-kind funding)");
  donate->add_option("NODE_ID", node_id)->required();
  donate->add_option("--donated-by", donated_by, "the owner, as they wish to be credited")
      ->required();
  auto* terms_opt = donate->add_option("--terms", terms, "the terms agreed, as text");
  auto* terms_file_opt =
      donate->add_option("--terms-file", terms_file, "a file holding the terms agreed");
  terms_opt->excludes(terms_file_opt);
  donate->add_option("--cap-bytes", cap_bytes,
                     "count at most this many raw bytes of the node (default: no cap)");
  auto* undonate =
      nodes->add_subcommand("undonate", "end a node's donation (the node stays, stops counting)");
  undonate->add_option("NODE_ID", node_id)->required();

  auto* status_cmd = app.add_subcommand("status", "cluster capacity and redundancy");
  status_cmd->add_flag("--json", json, "machine-readable output");

  auto* drain = app.add_subcommand("drain", "move every shard off a node, then it can leave");
  drain->add_option("NODE_ID", node_id)->required();
  auto* retire = app.add_subcommand("retire", "mark a node retired (its shards are repaired)");
  retire->add_option("NODE_ID", node_id)->required();
  auto* undrain = app.add_subcommand("undrain", "put a draining node back in service");
  undrain->add_option("NODE_ID", node_id)->required();

  auto* login = app.add_subcommand("login", "log in as an account holding operator roles");
  std::string handle, password_file;
  login->add_option("--handle", handle, "the account's handle")->required();
  login->add_option("--password-file", password_file,
                    "file holding the password (else FREEHOLD_PASSWORD, else a prompt)");
  auto* logout = app.add_subcommand("logout", "forget the saved session");

  auto* roles = app.add_subcommand("roles", "grant, revoke and list roles (needs accounts:admin)");
  roles->require_subcommand(1);
  freehold::admin::RolesCommand roles_cmd;
  auto* grant = roles->add_subcommand("grant", "grant ROLE to the account HANDLE");
  grant->add_option("HANDLE", roles_cmd.handle)->required();
  grant->add_option("ROLE", roles_cmd.role,
                    "accounts:admin | donations:admin | coordinator:operator")
      ->required();
  auto* revoke_role = roles->add_subcommand("revoke", "revoke ROLE from the account HANDLE");
  revoke_role->add_option("HANDLE", roles_cmd.handle)->required();
  revoke_role->add_option("ROLE", roles_cmd.role)->required();
  auto* list_roles = roles->add_subcommand("list", "every role held, by handle");
  list_roles->add_flag("--json", roles_cmd.json, "machine-readable output");

  auto* campaigns = app.add_subcommand("campaigns", "donation campaigns (needs donations:admin)");
  campaigns->require_subcommand(1);
  freehold::admin::CampaignsCommand camp;
  auto* create = campaigns->add_subcommand("create", "start a campaign");
  create->add_option("--title", camp.title, "1..200 characters")->required();
  create->add_option("--goal-minor", camp.goal_minor, "goal in base currency minor units")
      ->required();
  create->add_option("--description", camp.description, "at most 4000 characters");
  create->add_option("--start", camp.start, "RFC 3339 (default: now)");
  create->add_option("--end", camp.end, "RFC 3339 (default: open-ended)");
  create->add_flag("--json", camp.json, "machine-readable output");
  auto* list_campaigns = campaigns->add_subcommand("list", "every campaign, oldest first");
  list_campaigns->add_flag("--live", camp.live_only, "running campaigns only");
  list_campaigns->add_flag("--json", camp.json, "machine-readable output");
  auto* close = campaigns->add_subcommand("close", "end a running campaign now");
  close->add_option("CAMPAIGN_ID", camp.campaign_id)->required();
  close->add_flag("--json", camp.json, "machine-readable output");

  freehold::admin::AbuseCommand abuse_cmd;
  auto* abuse = app.add_subcommand("abuse", "abuse reports of public links (coordinator:operator)");
  abuse->require_subcommand(1);
  auto* abuse_ls = abuse->add_subcommand("ls", "reports, the oldest first");
  abuse_ls->add_option("--status", abuse_cmd.status, "open (default), dismissed, link_disabled, all");
  abuse_ls->add_flag("--json", abuse_cmd.json, "machine-readable output");
  auto* abuse_show = abuse->add_subcommand("show", "one report with the reporter's text");
  abuse_show->add_option("REPORT_ID", abuse_cmd.report_id)->required();
  abuse_show->add_flag("--json", abuse_cmd.json, "machine-readable output");
  auto* abuse_disable =
      abuse->add_subcommand("disable", "disable the reported link for good (the owner is told)");
  abuse_disable->add_option("REPORT_ID", abuse_cmd.report_id)->required();
  abuse_disable->add_option("--note", abuse_cmd.note, "the reason, kept with the report");
  abuse_disable->add_flag("--json", abuse_cmd.json, "machine-readable output");
  auto* abuse_dismiss = abuse->add_subcommand("dismiss", "close the report; the link stays");
  abuse_dismiss->add_option("REPORT_ID", abuse_cmd.report_id)->required();
  abuse_dismiss->add_option("--note", abuse_cmd.note, "the reason, kept with the report");
  abuse_dismiss->add_flag("--json", abuse_cmd.json, "machine-readable output");
  auto* abuse_counts = abuse->add_subcommand("counts", "the public counts");
  abuse_counts->add_flag("--json", abuse_cmd.json, "machine-readable output");
  auto* authority = abuse->add_subcommand("authority-request", "requests from authorities");
  authority->require_subcommand(1);
  auto* authority_add = authority->add_subcommand("add", "record one (never any content)");
  authority_add->add_option("--date", abuse_cmd.date, "received on, YYYY-MM-DD")->required();
  authority_add
      ->add_option("--kind", abuse_cmd.kind,
                   "subpoena, court_order, search_warrant, emergency, preservation, takedown, "
                   "other")
      ->required();
  authority_add->add_option("--jurisdiction", abuse_cmd.jurisdiction, "e.g. DE, US-CA")
      ->required();
  authority_add
      ->add_option("--outcome", abuse_cmd.outcome,
                   "pending, rejected, no_data, metadata_disclosed, link_disabled, other")
      ->required();
  authority_add->add_flag("--json", abuse_cmd.json, "machine-readable output");
  auto* authority_ls = authority->add_subcommand("ls", "recorded requests, the most recent first");
  authority_ls->add_flag("--json", abuse_cmd.json, "machine-readable output");

  freehold::ParseOrExit(app, argc, argv);
  if (absl::Status s = g_transport.Validate(); !s.ok()) {
    std::cerr << "freehold-admin: " << s.message() << "\n";
    return 2;
  }

  if (health->parsed()) {
    absl::StatusOr<freehold::ClientTlsOptions> tls = g_transport.For(address, &std::cerr);
    if (!tls.ok()) return Fail("health " + address, tls.status());
    absl::Status st = freehold::WaitForServing(
        address, absl::Now() + absl::Seconds(std::max(wait_seconds, 2.0)), *tls);
    if (!st.ok()) return Fail("health " + address, st);
    std::cout << address << " SERVING\n";
    return 0;
  }

  if (config_dir.empty()) {
    absl::StatusOr<std::string> dir = freehold::admin::DefaultAdminConfigDir();
    if (!dir.ok() && (login->parsed() || logout->parsed())) {
      return Fail("--config-dir", dir.status());
    }
    if (dir.ok()) config_dir = *dir;
  }
  freehold::admin::OperatorSession session(config_dir, g_transport);
  if (login->parsed()) {
    absl::StatusOr<std::string> account = session.Login(accounts_address, handle, password_file);
    if (!account.ok()) return Fail("login as " + handle, account.status());
    std::cout << "logged in as " << handle << " (account " << *account << ")\n";
    return 0;
  }
  if (logout->parsed()) {
    if (absl::Status s = session.Logout(); !s.ok()) return Fail("logout", s);
    return 0;
  }

  // The operator's credential: the access token of the saved session (with the
  // account's roles); none without a session (an operator certificate may suffice).
  absl::StatusOr<std::string> token =
      config_dir.empty() ? absl::StatusOr<std::string>(std::string()) : session.AccessToken();
  if (!token.ok()) return Fail("session", token.status());
  g_operator_token = *token;
  if (roles->parsed()) {
    roles_cmd.action = grant->parsed() ? "grant" : revoke_role->parsed() ? "revoke" : "list";
    absl::StatusOr<std::string> saved = session.AccountsAddress();
    const std::string address =
        saved.ok() && !saved->empty() && app.get_option("--accounts")->count() == 0 &&
                std::getenv("FREEHOLD_ACCOUNTS_ADDR") == nullptr
            ? *saved
            : accounts_address;
    return freehold::admin::RunRoles(roles_cmd, address, g_transport, g_operator_token);
  }
  if (campaigns->parsed()) {
    camp.action = create->parsed() ? "create" : close->parsed() ? "close" : "list";
    return freehold::admin::RunCampaigns(camp, donations_address, g_transport, g_operator_token);
  }

  if (abuse->parsed()) {
    abuse_cmd.action = abuse_ls->parsed()        ? "ls"
                       : abuse_show->parsed()    ? "show"
                       : abuse_disable->parsed() ? "disable"
                       : abuse_dismiss->parsed() ? "dismiss"
                       : authority_add->parsed() ? "authority-add"
                       : authority_ls->parsed()  ? "authority-ls"
                                                 : "counts";
    return freehold::admin::RunAbuse(abuse_cmd, coordinator, g_transport, g_operator_token);
  }

  absl::StatusOr<freehold::ClientTlsOptions> tls = g_transport.For(coordinator, &std::cerr);
  if (!tls.ok()) return Fail("connect", tls.status());
  auto channel = freehold::MakeChannel(coordinator, *tls);
  if (!channel.ok()) return Fail("connect", channel.status());
  auto stub = Coordinator::NewStub(*channel);

  if (approve->parsed() || revoke->parsed()) {
    grpc::ClientContext ctx;
    Authorize(ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status st;
    if (approve->parsed()) {
      freehold::v1::ApproveNodeRequest req;
      req.set_node_id(node_id);
      if (!public_key.empty()) {
        absl::StatusOr<freehold::PublicKey> key = freehold::ParsePublicKey(public_key);
        if (!key.ok()) return Fail("--public-key", key.status());
        if (key->key_id != node_id) {
          return Fail("--public-key", absl::InvalidArgumentError(
                                          "the key belongs to another node id (" + key->key_id +
                                          ")"));
        }
        req.set_node_public_key(
            std::string(reinterpret_cast<const char*>(key->key.data()), key->key.size()));
      }
      freehold::v1::ApproveNodeResponse resp;
      st = stub->ApproveNode(&ctx, req, &resp);
    } else {
      freehold::v1::RevokeNodeRequest req;
      req.set_node_id(node_id);
      freehold::v1::RevokeNodeResponse resp;
      st = stub->RevokeNode(&ctx, req, &resp);
    }
    const char* done = approve->parsed() ? "approved" : "revoked";
    if (!st.ok()) return Fail(std::string(approve->parsed() ? "approve " : "revoke ") + node_id,
                              freehold::FromGrpcStatus(st));
    std::cout << node_id << " is " << done << "\n";
    return 0;
  }

  if (donate->parsed() || undonate->parsed()) {
    grpc::ClientContext ctx;
    Authorize(ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status st;
    if (donate->parsed()) {
      if (terms_file_opt->count() > 0) {
        absl::StatusOr<std::string> text = ReadTermsFile(terms_file);
        if (!text.ok()) return Fail("--terms-file", text.status());
        terms = *text;
      } else if (terms_opt->count() == 0) {
        std::cerr << "freehold-admin: nodes donate needs --terms TEXT or --terms-file FILE\n";
        return 2;
      }
      freehold::v1::DonateNodeRequest req;
      req.set_node_id(node_id);
      req.set_donated_by(donated_by);
      req.set_terms(terms);
      req.set_cap_bytes(cap_bytes);
      freehold::v1::DonateNodeResponse resp;
      st = stub->DonateNode(&ctx, req, &resp);
      if (!st.ok()) return Fail("donate " + node_id, freehold::FromGrpcStatus(st));
      std::cout << node_id << " is donated by " << donated_by
                << " (counts while in good standing; see freehold-admin nodes)\n";
      return 0;
    }
    freehold::v1::WithdrawNodeDonationRequest req;
    req.set_node_id(node_id);
    freehold::v1::WithdrawNodeDonationResponse resp;
    st = stub->WithdrawNodeDonation(&ctx, req, &resp);
    if (!st.ok()) return Fail("undonate " + node_id, freehold::FromGrpcStatus(st));
    std::cout << node_id << " no longer counts as a donated disk\n";
    return 0;
  }

  if (pending->parsed()) {
    grpc::ClientContext ctx;
    Authorize(ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    freehold::v1::ListPendingNodesRequest req;
    req.set_page_size(1000);
    freehold::v1::ListPendingNodesResponse resp;
    grpc::Status st = stub->ListPendingNodes(&ctx, req, &resp);
    if (!st.ok()) return Fail("pending nodes from " + coordinator, freehold::FromGrpcStatus(st));
    if (json) {
      std::string out;
      google::protobuf::util::JsonPrintOptions opts;
      opts.add_whitespace = true;
      (void)google::protobuf::util::MessageToJsonString(resp, &out, opts);
      std::cout << out;
      return 0;
    }
    std::printf("%-38s %-10s %-16s %12s %-40s %-12s %8s\n", "NODE", "ZONE", "HOST", "CAPACITY",
                "KEY", "REASON", "ATTEMPTS");
    for (const auto& n : resp.nodes()) {
      std::printf("%-38s %-10s %-16s %12s %-40s %-12s %8llu\n", n.node_id().c_str(),
                  n.domain().zone().c_str(), n.domain().host().c_str(),
                  HumanBytes(n.capacity_bytes()).c_str(), n.key_fingerprint().c_str(),
                  n.reason().c_str(), static_cast<unsigned long long>(n.attempts()));
    }
    return 0;
  }

  if (nodes->parsed() || status_cmd->parsed()) {
    absl::Time deadline = absl::Now() + absl::Seconds(wait_seconds);
    absl::StatusOr<freehold::v1::ClusterStatusResponse> resp;
    while (true) {
      resp = FetchStatus(*stub);
      int up = 0;
      if (resp.ok()) {
        for (const auto& n : resp->nodes()) up += n.state() == freehold::v1::NODE_STATE_UP;
      }
      if (resp.ok() && up >= wait_up) break;
      if (absl::Now() >= deadline) {
        if (!resp.ok()) return Fail("cluster status from " + coordinator, resp.status());
        std::cerr << "freehold-admin: only " << up << " of " << wait_up
                  << " nodes are up after " << wait_seconds << " s\n";
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (json) {
      std::string out;
      google::protobuf::util::JsonPrintOptions opts;
      opts.add_whitespace = true;
      (void)google::protobuf::util::MessageToJsonString(*resp, &out, opts);
      std::cout << out;
      return 0;
    }
    if (nodes->parsed()) {
      // Reputation, audits passed/failed and drain progress (moved / held at the start).
      std::map<std::string, freehold::v1::NodeDurability> durability;
      for (const auto& d : resp->node_durability()) durability[d.node_id()] = d;
      std::printf("%-38s %-22s %-10s %-10s %-9s %12s %12s %8s %6s %13s %s\n", "NODE", "ADDRESS",
                  "ZONE", "HOST", "STATE", "USED", "CAPACITY", "SHARDS", "REPUT", "AUDITS OK/BAD",
                  "DRAIN");
      for (const auto& n : resp->nodes()) {
        const auto it = durability.find(n.node_id());
        std::string reput = "-", audits = "-", drain = "-";
        if (it != durability.end()) {
          const auto& d = it->second;
          reput = absl::StrFormat("%.3f%s", d.reputation(), d.suspended() ? "!" : "");
          audits = absl::StrCat(d.audits_passed(), "/", d.audits_failed());
          if (d.drain_initial_bytes() > 0 || d.drain_finished()) {
            drain = absl::StrCat(HumanBytes(d.drain_moved_bytes()), " of ",
                                 HumanBytes(d.drain_initial_bytes()),
                                 d.drain_finished() ? " done" : "");
          }
        }
        std::printf("%-38s %-22s %-10s %-10s %-9s %12s %12s %8llu %6s %13s %s\n",
                    n.node_id().c_str(), n.address().c_str(), n.domain().zone().c_str(),
                    n.domain().host().c_str(), NodeStateName(n.state()),
                    HumanBytes(n.used_bytes()).c_str(), HumanBytes(n.capacity_bytes()).c_str(),
                    static_cast<unsigned long long>(n.shard_count()), reput.c_str(),
                    audits.c_str(), drain.c_str());
      }
      if (resp->node_donations_size() > 0) {
        std::printf("\nDONATED DISKS\n%-38s %-24s %-28s %12s %s\n", "NODE", "DONATED BY",
                    "APPROVED", "COUNTED", "STANDING");
        for (const auto& d : resp->node_donations()) {
          const std::string approved =
              absl::StrCat(absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(d.approved_at().seconds()),
                                            absl::UTCTimeZone()),
                           " ", d.approved_by().substr(0, 17));
          std::printf("%-38s %-24s %-28s %12s %s\n", d.node_id().c_str(),
                      d.donated_by().c_str(), approved.c_str(),
                      HumanBytes(d.counted_raw_bytes()).c_str(),
                      d.counting() ? "counting"
                                   : ("not counting: " + d.not_counting_reason()).c_str());
        }
      }
      return 0;
    }
    std::printf("nodes            %d\n", resp->nodes_size());
    std::printf("raw capacity     %s (used %s, free %s)\n",
                HumanBytes(resp->raw_capacity_bytes()).c_str(),
                HumanBytes(resp->raw_used_bytes()).c_str(),
                HumanBytes(resp->raw_free_bytes()).c_str());
    std::printf("logical stored   %s in %llu objects, %llu segments\n",
                HumanBytes(resp->logical_used_bytes()).c_str(),
                static_cast<unsigned long long>(resp->objects()),
                static_cast<unsigned long long>(resp->segments()));
    std::printf("trash            %s in %llu objects (counted above; deleted for good when "
                "their window ends)\n",
                HumanBytes(resp->trash_bytes()).c_str(),
                static_cast<unsigned long long>(resp->trash_objects()));
    std::printf("coding           %u+%u\n", resp->data_shards(), resp->parity_shards());
    std::printf(
        "degraded         %llu segments\nunavailable      %llu segments (nodes down, not "
        "lost)\nlost             %llu segments\n",
        static_cast<unsigned long long>(resp->segments_degraded()),
        static_cast<unsigned long long>(resp->segments_unavailable()),
        static_cast<unsigned long long>(resp->segments_lost()));
    return 0;
  }

  freehold::v1::SetNodeStateRequest req;
  req.set_node_id(node_id);
  req.set_state(drain->parsed()    ? freehold::v1::NODE_STATE_DRAINING
                : retire->parsed() ? freehold::v1::NODE_STATE_RETIRED
                                   : freehold::v1::NODE_STATE_UP);
  grpc::ClientContext ctx;
  Authorize(ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  freehold::v1::SetNodeStateResponse resp;
  grpc::Status st = stub->SetNodeState(&ctx, req, &resp);
  if (!st.ok()) return Fail("set state of " + node_id, freehold::FromGrpcStatus(st));
  std::cout << node_id << " is now " << NodeStateName(req.state()) << "\n";
  return 0;
}
