// A whole Freehold cluster as real processes on loopback for end-to-end
// tests: PostgreSQL from the test harness (a fresh database), freehold-
// accounts, freehold-coordinator and N freehold-storaged in several zones,
// each in a temp directory. Storage daemons keep their port and data dir, so
// a stopped daemon can be started again as the same node.
// Every process speaks mutual TLS with certificates from a private CA
// (tests/support/test_pki.h): each service has its role, each storage daemon a
// storaged certificate naming its node id. The CLI gets the CA (ca_file()).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "freehold/v1/coordinator.pb.h"
#include "common/grpc_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace freehold::e2e {

struct ClusterOptions {
  int storage_nodes = 6;
  int zones = 3;
  std::string segment_size = "1MiB";   // small segments keep tests fast
  std::string node_down_after = "3s";  // coordinator marks silent nodes down
  uint64_t node_capacity_bytes = 2ull << 30;
  // Also start freehold-donations (same database, its own schema; Stripe
  // webhook secret kStripeWebhookSecret) before the coordinator, and pass
  // --donations to the coordinator.
  bool donations = false;
  // Extra freehold-accounts flags (e.g. a short abandoned-account lifecycle).
  std::vector<std::string> accounts_args;
  // Extra freehold-coordinator flags (funding and admission settings).
  std::vector<std::string> coordinator_args;
  // Extra freehold-storaged flags (e.g. --orphan-grace), for every daemon.
  std::vector<std::string> storaged_args;
  // A database to use instead of a fresh one from the test harness (e.g. the multi-host
  // URL of deploy/ha/pg-ha.sh); the cluster leaves it in place.
  std::string database_url;
  // Replicas of freehold-coordinator on the one database (own ports and data dirs).
  // Replica 0 serves the CLI and the storage daemons; the others compete for the
  // background work (leader lease).
  int coordinator_replicas = 1;
};

// The Stripe endpoint secret freehold-donations verifies webhooks with.
inline constexpr char kStripeWebhookSecret[] = "whsec_e2e_0123456789abcdef0123456789";

class Cluster {
 public:
  // Starts everything and waits until every storage node is up.
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(const ClusterOptions& options);
  ~Cluster();

  const std::string& accounts_address() const { return accounts_address_; }
  const std::string& coordinator_address() const { return coordinator_address_; }
  // The coordinator's Prometheus endpoint host:port.
  const std::string& coordinator_metrics_address() const { return coordinator_metrics_; }
  // freehold-accounts' Prometheus endpoint host:port.
  const std::string& accounts_metrics_address() const { return accounts_metrics_; }
  // Replica r's (0 <= r < coordinator_replicas) Prometheus endpoint; SIGKILL replica r.
  const std::string& coordinator_metrics_address(int r) const {
    return r == 0 ? coordinator_metrics_ : replicas_[r - 1].metrics;
  }
  void KillCoordinator(int r);
  // Empty unless ClusterOptions::donations.
  const std::string& donations_address() const { return donations_address_; }
  // Its HTTP port (webhooks, transparency page, ledger export); empty without donations.
  const std::string& donations_http_address() const { return donations_http_address_; }
  // Makes the account `handle` an admin holding every role (coordinator:operator
  // included) the real way: `freehold-accounts --bootstrap-admin HANDLE` on the
  // cluster's database. Its next login or token refresh carries the roles.
  absl::Status BootstrapAdmin(const std::string& handle) const;
  // The fleet CA (FREEHOLD_CA_FILE for the CLI) and client TLS for test calls:
  // trusting the CA without a certificate (as the CLI does), or with the
  // operator certificate (as freehold-admin does). pki() issues others.
  std::string ca_file() const { return pki_.ca_file(); }
  ClientTlsOptions client_tls() const { return pki_.TrustOnly(); }
  ClientTlsOptions operator_tls() const { return operator_tls_; }
  const testing::TestPki& pki() const { return pki_; }
  const std::string& dir() const { return dir_.path(); }
  // The cluster's PostgreSQL database (the coordinator's tables are in schema
  // coordinator; tests that play a malicious server edit it; freehold-accounts
  // --bootstrap-admin needs it).
  const std::string& database_url() const { return db_url_; }
  int node_count() const { return static_cast<int>(nodes_.size()); }
  const std::string& node_address(int i) const { return nodes_[i].address; }
  std::string node_data_dir(int i) const;

  // Starts another freehold-accounts on the cluster's database with the same pepper
  // and signing keys and `flags` (e.g. "--allow-weak-kdf"); returns its gRPC address.
  // It runs until the cluster ends.
  absl::StatusOr<std::string> StartAccountsReplica(const std::vector<std::string>& flags);

  // SIGTERM (graceful) / SIGKILL (crash) a storage daemon; Start it again.
  absl::Status StopNode(int i);
  void KillNode(int i);
  absl::Status StartNode(int i);
  bool NodeRunning(int i);
  // A new storage daemon joins (approved, its own port, data dir, host and the zone
  // after the last one's, round robin): returns its index once it is running.
  absl::StatusOr<int> AddNode();

  // Starts every daemon that is not running and waits until all are up.
  absl::Status RestoreAllNodes(absl::Duration timeout);

  // ClusterStatus with the operator certificate.
  absl::StatusOr<v1::ClusterStatusResponse> Status() const;
  // Waits until exactly `up` nodes are up (others down), bounded by `timeout`.
  absl::Status WaitForNodesUp(int up, absl::Duration timeout) const;

 private:
  // Approves node i with freehold-admin (its identity from --print-identity).
  absl::Status ApproveNode(int i);
  struct Node {
    std::string address;
    std::string zone;
    std::unique_ptr<testing::Process> process;
    int starts = 0;  // each start logs to its own file (logs are appended)
    bool came_up = false;  // once up, its address is known and never changes
  };
  Cluster() = default;
  absl::Status StartAll(const ClusterOptions& options);

  testing::TempDir dir_{"freehold-e2e-"};
  testing::TestPki pki_;
  ClientTlsOptions operator_tls_;
  std::string db_url_;
  std::unique_ptr<testing::Process> accounts_, donations_, coordinator_;
  std::vector<std::unique_ptr<testing::Process>> extra_accounts_;
  std::string pepper_file_;
  std::string donations_http_address_;
  std::string accounts_address_, donations_address_, coordinator_address_;
  std::string coordinator_metrics_;
  std::string accounts_metrics_;
  struct Replica {
    std::unique_ptr<testing::Process> process;
    std::string metrics;
  };
  std::vector<Replica> replicas_;  // coordinator replicas 1..
  std::vector<Node> nodes_;
  ClusterOptions options_;
};

}  // namespace freehold::e2e
