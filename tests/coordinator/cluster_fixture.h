// A real cluster on loopback for tests and benchmarks: one freehold-coordinator
// process over a fresh PostgreSQL database and N freehold-storaged processes on
// distinct hosts that register with it. The fixture plays freehold-accounts: it
// writes the accounts key file and signs access tokens. Every process speaks
// mutual TLS with certificates of its role from a private CA (pki_); the test's
// own calls go out with the operator certificate.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/signed_token.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "freehold/v1/storage.grpc.pb.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace freehold::coordinator::testing {

struct Daemon {
  std::unique_ptr<freehold::testing::Process> process;
  std::string address;  // gRPC host:port
  std::string host;     // failure domain host
  std::string data_dir;
};

// One uploaded shard as the test client keeps it.
struct PutResult {
  grpc::Status status;
  std::string receipt;
};

class ClusterTest : public freehold::testing::PostgresTest {
 protected:
  // Starts the coordinator with `extra_args` and `daemons` storage daemons
  // (host-0 .. host-N-1) and waits until all are registered and up.
  void StartCluster(int daemons, std::vector<std::string> extra_args = {});
  void TearDown() override;

  // "Bearer <token>" for `account_id` (fresh valid storage token by default).
  std::string Token(const std::string& account_id, absl::Duration ttl = absl::Minutes(15));
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& bearer = "");
  // For operator calls on stub_: its channel presents the operator certificate, which
  // authorizes them (there is no shared operator secret).
  std::unique_ptr<grpc::ClientContext> OperatorCtx();
  // Operator approval of a node id with its 32 raw key bytes (ApproveNode).
  absl::Status ApproveNode(const std::string& node_id, const std::string& public_key);

  absl::StatusOr<v1::ClusterStatusResponse> Status();
  // Polls ClusterStatus until `up` nodes are up (and `down` down), deadline 20 s.
  absl::Status WaitForNodes(int up, int down = 0);

  v1::StorageNode::Stub& Node(const std::string& address);
  PutResult PutShard(const std::string& address, const std::string& grant,
                     const std::string& bytes);
  grpc::Status GetShard(const std::string& address, const std::string& grant, std::string* out);

  int DaemonIndexByAddress(const std::string& address) const;

  // Signs grant claims with the coordinator's own key (read from its data dir).
  std::string SignWithCoordinatorKey(const v1::GrantClaims& claims);

  freehold::testing::TempDir dir_{"freehold-coord-cluster-"};
  freehold::testing::TestPki pki_;
  ClientTlsOptions client_tls_;  // the operator's certificate, trusting pki_
  std::unique_ptr<freehold::testing::Process> coordinator_;
  std::string coordinator_address_;
  std::string coordinator_metrics_address_;
  std::string coordinator_data_dir_;
  std::string segment_size_ = "64KiB";  // --segment-size; set before StartCluster
  std::vector<std::string> daemon_args_;  // extra freehold-storaged flags; set before StartCluster
  std::vector<Daemon> daemons_;
  std::unique_ptr<TokenSigner> accounts_signer_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  std::map<std::string, std::unique_ptr<v1::StorageNode::Stub>> node_stubs_;
};

// Body of GET http://<address>/metrics ("" on failure).
std::string FetchMetrics(const std::string& address);

// SHA-256 (libsodium).
std::string Sha256(const std::string& bytes);

// Deterministic pseudo-random bytes.
std::string PseudoRandomBytes(size_t size, uint64_t seed);

}  // namespace freehold::coordinator::testing
