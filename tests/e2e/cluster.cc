#include "tests/e2e/cluster.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/storaged_identity.h"

namespace freehold::e2e {
namespace {

// "READY grpc=H:P metrics=..." -> "H:P" (and the metrics H:P into `metrics` if given).
absl::StatusOr<std::string> GrpcAddressOf(testing::Process& p, const std::string& name,
                                          std::string* metrics = nullptr) {
  absl::StatusOr<std::string> line = p.WaitForStderrLine("READY grpc=", absl::Seconds(60));
  if (!line.ok()) {
    return absl::Status(line.status().code(),
                        absl::StrCat(name, " did not start: ", line.status().message()));
  }
  const size_t at = line->find("READY grpc=");
  std::string rest = line->substr(at + 11);
  if (metrics != nullptr && line->find("metrics=") != std::string::npos) {
    std::string m = line->substr(line->find("metrics=") + 8);
    *metrics = m.substr(0, m.find(' '));
  }
  return std::string(rest.substr(0, rest.find(' ')));
}

// The --tls-* flags of a process holding `tls`.
std::vector<std::string> TlsFlags(const TlsConfig& tls) {
  return {"--tls-cert", tls.cert_file, "--tls-key", tls.key_file, "--tls-ca", tls.ca_file};
}

absl::StatusOr<std::unique_ptr<testing::Process>> Launch(const std::string& binary,
                                                         std::vector<std::string> args,
                                                         const std::string& log,
                                                         const TlsConfig& tls) {
  testing::ProcessOptions o;
  o.binary = binary;
  o.args = std::move(args);
  for (std::string& flag : TlsFlags(tls)) o.args.push_back(std::move(flag));
  o.stderr_path = log;
  return testing::Process::Start(std::move(o));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(const ClusterOptions& options) {
  std::unique_ptr<Cluster> c(new Cluster());
  if (absl::Status s = c->StartAll(options); !s.ok()) return s;
  return c;
}

Cluster::~Cluster() {
  for (Node& n : nodes_) n.process.reset();
  replicas_.clear();
  extra_accounts_.clear();
  coordinator_.reset();
  donations_.reset();
  accounts_.reset();
  if (!db_url_.empty() && options_.database_url.empty()) {
    (void)testing::PostgresHarness::Get().DropDatabase(db_url_);
  }
}

absl::StatusOr<std::string> Cluster::StartAccountsReplica(const std::vector<std::string>& flags) {
  const int n = static_cast<int>(extra_accounts_.size()) + 1;
  std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                                   "--database-url", db_url_, "--data-dir",
                                   dir_.File("accounts"), "--pepper-file", pepper_file_,
                                   "--log-level", "warn"};
  args.insert(args.end(), flags.begin(), flags.end());
  absl::StatusOr<std::unique_ptr<testing::Process>> p =
      Launch(testing::BinaryPath("freehold-accounts"), std::move(args),
             dir_.File(absl::StrCat("accounts-", n, ".log")),
             pki_.Issue("accounts", kRoleAccounts, "e2e-accounts"));
  if (!p.ok()) return p.status();
  absl::StatusOr<std::string> address = GrpcAddressOf(**p, "freehold-accounts replica");
  if (!address.ok()) return address.status();
  extra_accounts_.push_back(*std::move(p));
  return *address;
}

void Cluster::KillCoordinator(int r) {
  testing::Process* p = r == 0 ? coordinator_.get() : replicas_[r - 1].process.get();
  if (p != nullptr) p->KillHard();
}

std::string Cluster::node_data_dir(int i) const { return dir_.File(absl::StrCat("storaged-", i)); }

absl::Status Cluster::StartAll(const ClusterOptions& options) {
  options_ = options;
  if (options.database_url.empty()) {
    absl::StatusOr<std::string> db = testing::PostgresHarness::Get().CreateDatabase();
    if (!db.ok()) return db.status();
    db_url_ = *db;
  } else {
    db_url_ = options.database_url;
  }
  const std::string pepper = dir_.WriteFile("pepper", std::string(64, 'p'), 0600);
  const std::string keys = dir_.File("accounts.pub");
  operator_tls_ = pki_.Issue("operator", kRoleOperator, "e2e-operator").Client();

  pepper_file_ = pepper;
  // Weak Argon2id for speed (ops 2, 8 KiB; production: MODERATE), so that an account
  // registered with ops 1 is weaker than the recommendation and upgraded at login.
  std::vector<std::string> accounts_args = {
      "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--database-url",
      db_url_, "--data-dir", dir_.File("accounts"), "--pepper-file", pepper,
      "--verification-keys-out", keys, "--allow-weak-kdf", "--kdf-default-ops", "2",
      "--kdf-default-mem", "8192", "--registrations-per-address-per-hour", "0",
      // Shorter than the CLI's refresh margin: every command refreshes.
      "--access-token-lifetime", "30s", "--log-level", "warn"};
  accounts_args.insert(accounts_args.end(), options.accounts_args.begin(),
                       options.accounts_args.end());
  absl::StatusOr<std::unique_ptr<testing::Process>> accounts =
      Launch(testing::BinaryPath("freehold-accounts"), std::move(accounts_args),
             dir_.File("accounts.log"), pki_.Issue("accounts", kRoleAccounts, "e2e-accounts"));
  if (!accounts.ok()) return accounts.status();
  accounts_ = *std::move(accounts);
  absl::StatusOr<std::string> a =
      GrpcAddressOf(*accounts_, "freehold-accounts", &accounts_metrics_);
  if (!a.ok()) return a.status();
  accounts_address_ = *a;

  // With donations, the coordinator's port is chosen first: donations reads the
  // storage cost the coordinator computes (its --coordinator).
  std::string coordinator_listen = "127.0.0.1:0";
  if (options.donations) {
    absl::StatusOr<int> port = testing::PickFreePort();
    if (!port.ok()) return port.status();
    coordinator_listen = absl::StrCat("127.0.0.1:", *port);
  }
  if (options.donations) {
    std::vector<std::string> args = {
        "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen",
        "127.0.0.1:0", "--database-url", db_url_, "--base-currency", "EUR",
        "--receipt-key", dir_.File("donations-receipt.key"), "--gauge-refresh", "1s",
        "--accounts-keys", keys, "--coordinator", coordinator_listen, "--accounts",
        accounts_address_, "--log-level", "warn"};
    for (std::string& flag :
         TlsFlags(pki_.Issue("donations", kRoleDonations, "e2e-donations"))) {
      args.push_back(std::move(flag));
    }
    absl::StatusOr<std::unique_ptr<testing::Process>> donations = testing::Process::Start(
        {.binary = testing::BinaryPath("freehold-donations"),
         .args = std::move(args),
         .env = {{"FREEHOLD_STRIPE_WEBHOOK_SECRET", kStripeWebhookSecret}},
         .stderr_path = dir_.File("donations.log")});
    if (!donations.ok()) return donations.status();
    donations_ = *std::move(donations);
    absl::StatusOr<std::string> d = GrpcAddressOf(*donations_, "freehold-donations");
    if (!d.ok()) return d.status();
    donations_address_ = *d;
    // "READY grpc=H:P metrics=H:P http=H:P": the webhook, page and export port.
    absl::StatusOr<std::string> line =
        donations_->WaitForStderrLine("READY grpc=", absl::Seconds(1));
    if (line.ok() && line->find("http=") != std::string::npos) {
      std::string rest = line->substr(line->find("http=") + 5);
      donations_http_address_ = rest.substr(0, rest.find_first_of(" \n"));
    }
  }

  std::vector<std::string> coordinator_args = {"--listen",
              "127.0.0.1:0",
              "--metrics-listen",
              "127.0.0.1:0",
              "--database-url",
              db_url_,
              "--data-dir",
              dir_.File("coordinator"),
              "--accounts-keys",
              keys,
              "--accounts",
              accounts_address_,
              "--segment-size",
              options.segment_size,
              "--node-down-after",
              options.node_down_after,
              "--heartbeat-interval",
              "1s",
              "--loop-interval",
              "500ms",
              "--log-level",
              "warn"};
  if (options.donations) {
    coordinator_args.push_back("--donations");
    coordinator_args.push_back(donations_address_);
  }
  coordinator_args.insert(coordinator_args.end(), options.coordinator_args.begin(),
                          options.coordinator_args.end());
  for (int r = 1; r < options.coordinator_replicas; ++r) {
    std::vector<std::string> args = coordinator_args;
    auto data_dir = std::find(args.begin(), args.end(), "--data-dir");
    *(data_dir + 1) = dir_.File(absl::StrCat("coordinator-", r));
    absl::StatusOr<std::unique_ptr<testing::Process>> replica = Launch(
        testing::BinaryPath("freehold-coordinator"), std::move(args),
        dir_.File(absl::StrCat("coordinator-", r, ".log")),
        pki_.Issue(absl::StrCat("coordinator-", r), kRoleCoordinator,
                   absl::StrCat("e2e-coordinator-", r)));
    if (!replica.ok()) return replica.status();
    absl::StatusOr<std::string> line =
        (*replica)->WaitForStderrLine("READY grpc=", absl::Seconds(30));
    if (!line.ok()) return line.status();
    const size_t m = line->find("metrics=");
    if (m == std::string::npos) return absl::InternalError("coordinator replica: no metrics=");
    std::string rest = line->substr(m + 8);
    replicas_.push_back({*std::move(replica), rest.substr(0, rest.find_first_of(" \n"))});
  }
  coordinator_args[1] = coordinator_listen;  // "--listen"
  absl::StatusOr<std::unique_ptr<testing::Process>> coordinator =
      Launch(testing::BinaryPath("freehold-coordinator"), std::move(coordinator_args),
             dir_.File("coordinator.log"),
             pki_.Issue("coordinator", kRoleCoordinator, "e2e-coordinator"));
  if (!coordinator.ok()) return coordinator.status();
  coordinator_ = *std::move(coordinator);
  absl::StatusOr<std::string> c = GrpcAddressOf(*coordinator_, "freehold-coordinator");
  if (!c.ok()) return c.status();
  coordinator_address_ = *c;
  absl::StatusOr<std::string> ready =
      coordinator_->WaitForStderrLine("READY grpc=", absl::Seconds(1));
  if (ready.ok() && ready->find("metrics=") != std::string::npos) {
    std::string rest = ready->substr(ready->find("metrics=") + 8);
    coordinator_metrics_ = rest.substr(0, rest.find_first_of(" \n"));
  }

  for (int i = 0; i < options.storage_nodes; ++i) {
    absl::StatusOr<int> port = testing::PickFreePort();
    if (!port.ok()) return port.status();
    nodes_.push_back(Node{absl::StrCat("127.0.0.1:", *port),
                          absl::StrCat("zone-", i % std::max(1, options.zones) + 1), nullptr, 0});
  }
  for (int i = 0; i < options.storage_nodes; ++i) {
    if (absl::Status s = StartNode(i); !s.ok()) return s;
  }
  return WaitForNodesUp(options.storage_nodes, absl::Seconds(60));
}

absl::Status Cluster::ApproveNode(int i) {
  // As an operator would: the node's identity before its first start, approved with
  // freehold-admin (idempotent on restarts).
  absl::StatusOr<testing::StoragedIdentity> identity =
      testing::PrintStoragedIdentity(node_data_dir(i));
  if (!identity.ok()) return identity.status();
  testing::ProcessOptions admin;
  admin.binary = testing::BinaryPath("freehold-admin");
  // Over TLS with the operator certificate, as an operator's freehold-admin.
  admin.args = {"--coordinator", coordinator_address_,    "--ca-file",   ca_file(),
                "--tls-cert",    operator_tls_.cert_file, "--tls-key",   operator_tls_.key_file,
                "nodes",         "approve",               identity->node_id,
                "--public-key",  identity->public_key_line};
  absl::StatusOr<std::unique_ptr<testing::Process>> p = testing::Process::Start(admin);
  if (!p.ok()) return p.status();
  absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(30));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("freehold-admin nodes approve failed: ", (*p)->ReadStderr()));
  }
  return absl::OkStatus();
}

absl::Status Cluster::StartNode(int i) {
  Node& n = nodes_[i];
  n.process.reset();
  if (n.starts == 0) {
    if (absl::Status s = ApproveNode(i); !s.ok()) return s;
  }
  // Its certificate names its node id, created in its data dir on first use.
  absl::StatusOr<testing::StoragedIdentity> identity =
      testing::PrintStoragedIdentity(node_data_dir(i));
  if (!identity.ok()) return identity.status();
  const TlsConfig tls = pki_.Issue(absl::StrCat("storaged-", i), kRoleStoraged, identity->node_id);
  std::vector<std::string> storaged_args = {"--listen",
              n.address,
              "--metrics-listen",
              "",
              "--data-dir",
              node_data_dir(i),
              "--coordinator",
              coordinator_address_,
              "--coordinator-keys",
              dir_.File("coordinator/coordinator.pub"),
              "--region",
              "local",
              "--zone",
              n.zone,
              "--host",
              absl::StrCat("host-", i),
              "--capacity-bytes",
              std::to_string(options_.node_capacity_bytes),
              "--reserve-bytes",
              std::to_string(1 << 20),
              "--heartbeat-interval",
              "1s",
              "--log-level",
              "warn"};
  storaged_args.insert(storaged_args.end(), options_.storaged_args.begin(),
                       options_.storaged_args.end());
  absl::StatusOr<std::unique_ptr<testing::Process>> p =
      Launch(testing::BinaryPath("freehold-storaged"), std::move(storaged_args),
             dir_.File(absl::StrCat("storaged-", i, "-", ++n.starts, ".log")), tls);
  if (!p.ok()) return p.status();
  n.process = *std::move(p);
  absl::Status up = GrpcAddressOf(*n.process, absl::StrCat("freehold-storaged ", i)).status();
  // A port picked free can still be bound by a concurrent test before the daemon binds
  // it. On a node's first start (nothing knows its address yet) take another port.
  if (up.ok()) n.came_up = true;
  if (!up.ok() && !n.came_up && n.starts <= 3 && absl::StrContains(up.message(), "cannot listen on")) {
    absl::StatusOr<int> port = testing::PickFreePort();
    if (!port.ok()) return up;
    n.address = absl::StrCat("127.0.0.1:", *port);
    return StartNode(i);
  }
  return up;
}

absl::Status Cluster::StopNode(int i) {
  if (nodes_[i].process == nullptr) return absl::OkStatus();
  absl::StatusOr<int> code = nodes_[i].process->Stop(absl::Seconds(10));
  return code.status();
}

void Cluster::KillNode(int i) {
  if (nodes_[i].process != nullptr) nodes_[i].process->KillHard();
}

absl::StatusOr<int> Cluster::AddNode() {
  absl::StatusOr<int> port = testing::PickFreePort();
  if (!port.ok()) return port.status();
  const int i = node_count();
  nodes_.push_back(Node{absl::StrCat("127.0.0.1:", *port),
                        absl::StrCat("zone-", i % std::max(1, options_.zones) + 1), nullptr, 0});
  if (absl::Status s = StartNode(i); !s.ok()) return s;
  return i;
}

bool Cluster::NodeRunning(int i) {
  return nodes_[i].process != nullptr && nodes_[i].process->Running();
}

absl::Status Cluster::RestoreAllNodes(absl::Duration timeout) {
  for (int i = 0; i < node_count(); ++i) {
    if (NodeRunning(i)) continue;
    if (absl::Status s = StartNode(i); !s.ok()) return s;
  }
  return WaitForNodesUp(node_count(), timeout);
}

absl::StatusOr<v1::ClusterStatusResponse> Cluster::Status() const {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
      MakeChannel(coordinator_address_, operator_tls_);
  if (!ch.ok()) return ch.status();
  auto stub = v1::Coordinator::NewStub(*ch);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::ClusterStatusResponse resp;
  grpc::Status st = stub->ClusterStatus(&ctx, v1::ClusterStatusRequest(), &resp);
  if (!st.ok()) return FromGrpcStatus(st);
  return resp;
}

absl::Status Cluster::BootstrapAdmin(const std::string& handle) const {
  testing::ProcessOptions boot;
  boot.binary = testing::BinaryPath("freehold-accounts");
  boot.args = {"--bootstrap-admin", handle, "--database-url", db_url_, "--log-level", "warn"};
  absl::StatusOr<std::unique_ptr<testing::Process>> p = testing::Process::Start(boot);
  if (!p.ok()) return p.status();
  absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(30));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("freehold-accounts --bootstrap-admin ", handle, " failed: ", (*p)->ReadStderr()));
  }
  return absl::OkStatus();
}

absl::Status Cluster::WaitForNodesUp(int up, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  for (int round = 0; round < 100000; ++round) {
    absl::StatusOr<v1::ClusterStatusResponse> s = Status();
    if (s.ok()) {
      int n = 0;
      for (const v1::NodeInfo& node : s->nodes()) n += node.state() == v1::NODE_STATE_UP;
      if (n == up) return absl::OkStatus();
      last = absl::StrCat(n, " nodes up");
    } else {
      last = s.status().ToString();
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("waiting for ", up, " storage nodes up: ", last));
}

}  // namespace freehold::e2e
