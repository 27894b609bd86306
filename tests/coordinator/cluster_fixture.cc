#include "tests/coordinator/cluster_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "common/tls_config.h"
#include "coordinator/core/internal/key_files.h"
#include "coordinator/grpc/claims_codec.h"
#include "tests/support/storaged_identity.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {

using freehold::testing::BinaryPath;
using freehold::testing::Process;

std::string Sha256(const std::string& bytes) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return out;
}

std::string PseudoRandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(rng() & 0xff);
  return out;
}

std::string FetchMetrics(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return "";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req = "GET /metrics HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
    if (::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
      char buf[8192];
      for (int i = 0; i < 10000; ++i) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return out;
}

namespace {

// "READY grpc=H:P metrics=..." -> the value of `key` ("grpc", "metrics").
std::string ReadyField(const std::string& ready_line, const std::string& key) {
  for (absl::string_view part : absl::StrSplit(ready_line, ' ')) {
    if (absl::StartsWith(part, key + "=")) return std::string(part.substr(key.size() + 1));
  }
  return "";
}
std::string GrpcAddressOf(const std::string& ready_line) { return ReadyField(ready_line, "grpc"); }

}  // namespace

void ClusterTest::StartCluster(int daemons, std::vector<std::string> extra_args) {
  ASSERT_OK_AND_ASSIGN(SigningKey accounts_key, GenerateSigningKey("accounts-test"));
  accounts_signer_ = std::make_unique<TokenSigner>(accounts_key);
  const std::string accounts_keys = dir_.WriteFile(
      "accounts.pub", internal::FormatPublicKeyLine(accounts_key.Public()) + "\n", 0644);
  coordinator_data_dir_ = dir_.File("coordinator");
  client_tls_ = pki_.Issue("operator", kRoleOperator, "test-operator").Client();
  const TlsConfig coordinator_tls = pki_.Issue("coordinator", kRoleCoordinator, "test-coordinator");

  std::vector<std::string> args = {"--listen",
                                   "127.0.0.1:0",
                                   "--metrics-listen",
                                   "127.0.0.1:0",
                                   "--database-url",
                                   db_url(),
                                   "--data-dir",
                                   coordinator_data_dir_,
                                   "--accounts-keys",
                                   accounts_keys,
                                   "--heartbeat-interval",
                                   "500ms",
                                   "--node-down-after",
                                   "3s",
                                   "--loop-interval",
                                   "200ms",
                                   "--segment-size",
                                   segment_size_,
                                   "--log-level",
                                   "warn"};
  // Deletes are final at once unless a test passes --trash-window.
  bool trash_window_given = false;
  for (const std::string& a : extra_args) trash_window_given |= a.rfind("--trash-window", 0) == 0;
  if (!trash_window_given) args.insert(args.end(), {"--trash-window", "0s"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.insert(args.end(), {"--tls-cert", coordinator_tls.cert_file, "--tls-key",
                           coordinator_tls.key_file, "--tls-ca", coordinator_tls.ca_file});
  freehold::testing::ProcessOptions coordinator_options;
  coordinator_options.binary = BinaryPath("freehold-coordinator");
  coordinator_options.args = args;
  ASSERT_OK_AND_ASSIGN(coordinator_, Process::Start(coordinator_options));
  ASSERT_OK_AND_ASSIGN(std::string ready,
                       coordinator_->WaitForStderrLine("READY grpc=", absl::Seconds(30)));
  coordinator_address_ = GrpcAddressOf(ready);
  coordinator_metrics_address_ =
      ReadyField(std::string(absl::StripAsciiWhitespace(ready)), "metrics");
  ASSERT_FALSE(coordinator_address_.empty()) << ready;
  ASSERT_OK_AND_ASSIGN(channel_, MakeChannel(coordinator_address_, client_tls_));
  stub_ = v1::Coordinator::NewStub(channel_);

  const std::string coordinator_keys = coordinator_data_dir_ + "/coordinator.pub";
  for (int i = 0; i < daemons; ++i) {
    Daemon d;
    d.host = absl::StrCat("host-", i);
    d.data_dir = dir_.File(absl::StrCat("storaged-", i));
    // Admitted before it first starts, as an operator would (nodes approve --public-key).
    ASSERT_OK_AND_ASSIGN(freehold::testing::StoragedIdentity identity,
                         freehold::testing::PrintStoragedIdentity(d.data_dir));
    ASSERT_OK(ApproveNode(identity.node_id, identity.public_key));
    const TlsConfig tls = pki_.Issue(absl::StrCat("storaged-", i), kRoleStoraged, identity.node_id);
    freehold::testing::ProcessOptions options;
    options.binary = BinaryPath("freehold-storaged");
    options.args = {"--listen",
                    "127.0.0.1:0",
                    "--metrics-listen",
                    "",
                    "--data-dir",
                    d.data_dir,
                    "--coordinator-keys",
                    coordinator_keys,
                    "--capacity-bytes",
                    "1GiB",
                    "--reserve-bytes",
                    "0",
                    "--coordinator",
                    coordinator_address_,
                    "--region",
                    "r1",
                    "--zone",
                    "z1",
                    "--host",
                    d.host,
                    "--heartbeat-interval",
                    "500ms",
                    "--log-level",
                    "warn",
                    "--tls-cert",
                    tls.cert_file,
                    "--tls-key",
                    tls.key_file,
                    "--tls-ca",
                    tls.ca_file};
    options.args.insert(options.args.end(), daemon_args_.begin(), daemon_args_.end());
    ASSERT_OK_AND_ASSIGN(d.process, Process::Start(options));
    daemons_.push_back(std::move(d));
  }
  for (Daemon& d : daemons_) {
    ASSERT_OK_AND_ASSIGN(std::string line,
                         d.process->WaitForStderrLine("READY grpc=", absl::Seconds(30)));
    d.address = GrpcAddressOf(line);
  }
  ASSERT_OK(WaitForNodes(daemons));
}

absl::Status ClusterTest::ApproveNode(const std::string& node_id, const std::string& public_key) {
  v1::ApproveNodeRequest request;
  request.set_node_id(node_id);
  request.set_node_public_key(public_key);
  v1::ApproveNodeResponse response;
  return FromGrpcStatus(stub_->ApproveNode(OperatorCtx().get(), request, &response));
}

void ClusterTest::TearDown() {
  node_stubs_.clear();
  stub_.reset();
  channel_.reset();
  for (Daemon& d : daemons_) {
    if (d.process != nullptr) (void)d.process->Stop(absl::Seconds(5));
  }
  if (coordinator_ != nullptr) {
    if (HasFailure()) std::cerr << "coordinator log:\n" << coordinator_->ReadStderr() << "\n";
    (void)coordinator_->Stop(absl::Seconds(5));
  }
  PostgresTest::TearDown();
}

std::string ClusterTest::Token(const std::string& account_id, absl::Duration ttl) {
  TokenClaims claims;
  claims.audience = "freehold";
  claims.subject = account_id;
  claims.token_id = "test";
  claims.issued_at = absl::Now() - absl::Seconds(1);
  claims.expires_at = absl::Now() + ttl;
  claims.scopes = {"storage"};
  return "Bearer " + SignClaims(*accounts_signer_, claims);
}

std::unique_ptr<grpc::ClientContext> ClusterTest::Ctx(const std::string& bearer) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  if (!bearer.empty()) ctx->AddMetadata("authorization", bearer);
  return ctx;
}

std::unique_ptr<grpc::ClientContext> ClusterTest::OperatorCtx() { return Ctx(); }

absl::StatusOr<v1::ClusterStatusResponse> ClusterTest::Status() {
  v1::ClusterStatusResponse resp;
  grpc::Status s = stub_->ClusterStatus(OperatorCtx().get(), {}, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp;
}

absl::Status ClusterTest::WaitForNodes(int up, int down) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::Status last;
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::ClusterStatusResponse> status = Status();
    if (status.ok()) {
      int n_up = 0, n_down = 0;
      for (const v1::NodeInfo& n : status->nodes()) {
        n_up += n.state() == v1::NODE_STATE_UP;
        n_down += n.state() == v1::NODE_STATE_DOWN;
      }
      if (n_up == up && n_down == down) return absl::OkStatus();
      last = absl::UnavailableError(absl::StrCat(n_up, " up, ", n_down, " down"));
    } else {
      last = status.status();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("nodes never reached ", up, " up / ", down, " down: ", last.ToString()));
}

v1::StorageNode::Stub& ClusterTest::Node(const std::string& address) {
  auto it = node_stubs_.find(address);
  if (it == node_stubs_.end()) {
    it = node_stubs_
             .emplace(address, v1::StorageNode::NewStub(*MakeChannel(address, client_tls_)))
             .first;
  }
  return *it->second;
}

PutResult ClusterTest::PutShard(const std::string& address, const std::string& grant,
                                const std::string& bytes) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::PutShardResponse resp;
  std::unique_ptr<grpc::ClientWriter<v1::PutShardRequest>> writer =
      Node(address).PutShard(&ctx, &resp);
  v1::PutShardRequest first;
  first.mutable_grant()->set_token(grant);
  writer->Write(first);
  for (size_t off = 0; off < bytes.size(); off += 16 << 10) {
    v1::PutShardRequest chunk;
    chunk.set_data(bytes.substr(off, 16 << 10));
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  PutResult out;
  out.status = writer->Finish();
  out.receipt = resp.receipt().token();
  return out;
}

grpc::Status ClusterTest::GetShard(const std::string& address, const std::string& grant,
                                   std::string* out) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::GetShardRequest req;
  req.mutable_grant()->set_token(grant);
  std::unique_ptr<grpc::ClientReader<v1::GetShardResponse>> reader =
      Node(address).GetShard(&ctx, req);
  v1::GetShardResponse chunk;
  out->clear();
  while (reader->Read(&chunk)) out->append(chunk.data());
  return reader->Finish();
}

int ClusterTest::DaemonIndexByAddress(const std::string& address) const {
  for (size_t i = 0; i < daemons_.size(); ++i) {
    if (daemons_[i].address == address) return static_cast<int>(i);
  }
  return -1;
}

std::string ClusterTest::SignWithCoordinatorKey(const v1::GrantClaims& claims) {
  absl::StatusOr<SigningKey> key = LoadSigningKey(coordinator_data_dir_ + "/coordinator.key");
  EXPECT_TRUE(key.ok()) << key.status();
  if (!key.ok()) return "";
  return TokenSigner(*key).Sign(SerializeDeterministic(claims), "grant");
}

}  // namespace freehold::coordinator::testing
