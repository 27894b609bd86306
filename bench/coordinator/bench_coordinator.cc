// freehold-bench-coordinator: BeginSegment + CommitSegment round trips per
// second (placement, PUT grant signing, receipt verification, manifest
// writes) against a real freehold-coordinator process on loopback with a
// private PostgreSQL, then the same work through the batched calls
// (BeginSegments + CommitSegments of --batch segments each, spanning objects of
// 64 segments), beside pgbench's single-row INSERT TPS on the same server in the
// same run. The driver plays the storage daemons (it holds the node keys and
// signs receipts), so only the coordinator is measured.
//
//   freehold-bench-coordinator [--seconds 10] [--clients 4] [--nodes 12] [--batch 64]
//
// --batch 0 measures the single calls only.
//
// Prints `figure: NAME VALUE` lines.
#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_server.h"
#include "common/signed_token.h"
#include "coordinator/core/access.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/internal/key_files.h"
#include "coordinator/grpc/claims_codec.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace fc = freehold::coordinator;
using freehold::testing::Process;

namespace {

struct FakeNode {
  std::string id;
  freehold::SigningKey key;
};

int Die(const std::string& what, const absl::Status& s) {
  std::cerr << "freehold-bench-coordinator: " << what << ": " << s << "\n";
  return 1;
}

std::string SignRaw(const freehold::SigningKey& key, const std::string& bytes) {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       key.secret.data());
  return sig;
}

// Runs pgbench with one INSERT per transaction; returns its TPS (or -1).
double PgbenchInsertTps(const std::string& url, int clients, int seconds,
                        const freehold::testing::TempDir& dir) {
  const std::string script =
      dir.WriteFile("insert.sql", "INSERT INTO bench_rows (v) VALUES ('x');\n", 0644);
  const std::string psql = "/usr/lib/postgresql/15/bin/psql";
  const std::string pgbench = "/usr/lib/postgresql/15/bin/pgbench";
  const std::string create =
      absl::StrCat(psql, " -q -X \"", url,
                   "\" -c 'CREATE TABLE IF NOT EXISTS bench_rows (id bigserial "
                   "PRIMARY KEY, v text)' >/dev/null 2>&1");
  if (std::system(create.c_str()) != 0) return -1;
  const std::string cmd = absl::StrCat(pgbench, " -n -f ", script, " -c ", clients, " -j ", clients,
                                       " -T ", seconds, " \"", url, "\" 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  pclose(pipe);
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    size_t pos = line.find("tps = ");
    if (pos == absl::string_view::npos) continue;
    double tps = 0;
    if (sscanf(std::string(line.substr(pos + 6)).c_str(), "%lf", &tps) == 1) return tps;
  }
  std::cerr << "pgbench output not understood:\n" << out << "\n";
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10;
  int clients = 4;
  int node_count = 12;
  int batch = 64;
  CLI::App app{"freehold-bench-coordinator: BeginSegment+CommitSegment round trips vs pgbench"};
  app.add_option("--seconds", seconds, "measurement time per figure")->capture_default_str();
  app.add_option("--clients", clients, "concurrent clients (and pgbench clients)")
      ->capture_default_str();
  app.add_option("--nodes", node_count, "registered storage nodes (distinct hosts)")
      ->capture_default_str();
  app.add_option("--batch", batch,
                 "segments per BeginSegments/CommitSegments in the batched phase (0 = skip it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  CLI11_PARSE(app, argc, argv);
  if (sodium_init() < 0) return 1;

  freehold::testing::TempDir dir("freehold-bench-coordinator-");
  absl::StatusOr<std::string> db = freehold::testing::PostgresHarness::Get().CreateDatabase();
  if (!db.ok()) return Die("cannot start PostgreSQL", db.status());

  absl::StatusOr<freehold::SigningKey> accounts_key = freehold::GenerateSigningKey("bench");
  const std::string keys_file = dir.WriteFile(
      "accounts.pub", fc::internal::FormatPublicKeyLine(accounts_key->Public()) + "\n", 0644);
  // The operator: an access token with the role coordinator:operator, signed as
  // freehold-accounts would sign it (there is no shared operator secret).
  std::string operator_token;
  {
    freehold::TokenClaims claims;
    claims.audience = "freehold";
    claims.subject = fc::NewUuid();
    claims.issued_at = absl::Now() - absl::Seconds(1);
    claims.expires_at = absl::Now() + absl::Hours(1);
    claims.scopes = {"accounts", "storage", std::string(fc::kOperatorRoleScope)};
    operator_token = freehold::SignClaims(freehold::TokenSigner(*accounts_key), claims);
  }
  freehold::testing::ProcessOptions options;
  options.binary = freehold::testing::BinaryPath("freehold-coordinator");
  options.args = {"--listen",
                  "127.0.0.1:0",
                  "--metrics-listen",
                  "127.0.0.1:0",
                  "--database-url",
                  *db,
                  "--data-dir",
                  dir.File("coordinator"),
                  "--accounts-keys",
                  keys_file,
                  "--node-weight-ramp",
                  "0s",
                  "--node-down-after",
                  "1h",
                  "--segment-size",
                  "64KiB",
                  "--log-level",
                  "warn",
                  // The nodes are played by this driver: nothing answers audits or
                  // moves, and failed audits would drain them mid-run.
                  "--audits=false",
                  "--rebalance=false",
                  "--respread=false",
                  "--max-segments-per-batch",
                  std::to_string(std::max(256, batch)),
                  "--database-pool-size",
                  std::to_string(std::max(4, clients * 2))};
  absl::StatusOr<std::unique_ptr<Process>> coordinator = Process::Start(options);
  if (!coordinator.ok()) return Die("cannot start freehold-coordinator", coordinator.status());
  absl::StatusOr<std::string> ready =
      (*coordinator)->WaitForStderrLine("READY grpc=", absl::Seconds(30));
  if (!ready.ok()) return Die("coordinator did not start", ready.status());
  std::string address;
  for (absl::string_view part : absl::StrSplit(*ready, ' ')) {
    if (absl::StartsWith(part, "grpc=")) address = std::string(part.substr(5));
  }
  auto channel = freehold::MakeChannel(address);
  auto stub = freehold::v1::Coordinator::NewStub(*channel);

  // Approve and register nodes, each on its own host.
  std::map<std::string, FakeNode> nodes;
  for (int i = 0; i < node_count; ++i) {
    FakeNode n;
    n.id = fc::NewUuid();
    n.key = *freehold::GenerateSigningKey(n.id);
    freehold::v1::ApproveNodeRequest approve;
    approve.set_node_id(n.id);
    approve.set_node_public_key(
        std::string(reinterpret_cast<const char*>(n.key.public_key.data()), 32));
    grpc::ClientContext actx;
    actx.AddMetadata("authorization", "Bearer " + operator_token);
    freehold::v1::ApproveNodeResponse approved;
    grpc::Status as = stub->ApproveNode(&actx, approve, &approved);
    if (!as.ok()) return Die("ApproveNode", absl::InternalError(as.error_message()));
    freehold::v1::RegisterNodeRequest req;
    auto* info = req.mutable_node();
    info->set_node_id(n.id);
    info->set_address(absl::StrCat("127.0.0.1:", 30000 + i));
    info->mutable_domain()->set_region("r1");
    info->mutable_domain()->set_zone("z1");
    info->mutable_domain()->set_host(absl::StrCat("host-", i));
    info->set_capacity_bytes(uint64_t{1} << 40);
    info->set_node_public_key(
        std::string(reinterpret_cast<const char*>(n.key.public_key.data()), 32));
    req.set_signed_at_unix_seconds(absl::ToUnixSeconds(absl::Now()));
    req.set_signature(SignRaw(n.key, fc::SerializeDeterministic(req)));
    grpc::ClientContext ctx;
    freehold::v1::RegisterNodeResponse resp;
    grpc::Status s = stub->RegisterNode(&ctx, req, &resp);
    if (!s.ok()) return Die("RegisterNode", absl::InternalError(s.error_message()));
    nodes[n.id] = std::move(n);
  }

  freehold::TokenSigner token_signer(*accounts_key);
  std::atomic<int64_t> segments_done{0};
  std::atomic<int64_t> failures{0};
  std::atomic<bool> stop{false};
  const uint64_t segment = 64 << 10;  // the coordinator only sees sizes and hashes
  constexpr int kSegmentsPerObject = 64;
  auto bearer_for_new_account = [&] {
    freehold::TokenClaims claims;
    claims.audience = "freehold";
    claims.subject = fc::NewUuid();
    claims.issued_at = absl::Now() - absl::Seconds(1);
    claims.expires_at = absl::Now() + absl::Hours(1);
    claims.scopes = {"storage"};
    return "Bearer " + freehold::SignClaims(token_signer, claims);
  };
  // A new object of kSegmentsPerObject segments ("" on failure).
  auto create_object = [&](const std::string& bearer) -> std::string {
    freehold::v1::CreateObjectRequest create;
    create.set_age_header("hdr");
    create.set_size_bytes(segment * kSegmentsPerObject);
    freehold::v1::CreateObjectResponse created;
    grpc::ClientContext cctx;
    cctx.AddMetadata("authorization", bearer);
    grpc::Status cs = stub->CreateObject(&cctx, create, &created);
    if (!cs.ok()) {
      if (failures++ == 0) std::cerr << "CreateObject: " << cs.error_message() << "\n";
      return "";
    }
    return created.object_id();
  };
  auto begin_request = [&](int c, const std::string& object_id, int s) {
    freehold::v1::BeginSegmentRequest begin;
    begin.set_object_id(object_id);
    begin.set_segment(s);
    begin.set_segment_size_bytes(segment);
    begin.set_shard_size_bytes(segment / 4);
    for (int i = 0; i < 6; ++i) {
      std::string h(32, static_cast<char>(c));
      h[0] = static_cast<char>(i);
      h[1] = static_cast<char>(s);
      begin.add_shard_sha256(h);
    }
    return begin;
  };
  // The receipts the placed nodes would sign for `plan`.
  auto commit_request = [&](const freehold::v1::BeginSegmentRequest& begin,
                            const freehold::v1::BeginSegmentResponse& plan) {
    freehold::v1::CommitSegmentRequest commit;
    commit.set_object_id(begin.object_id());
    commit.set_segment(begin.segment());
    for (const auto& p : plan.shards()) {
      fc::Receipt r;
      r.node_id = p.node_id();
      r.shard_key = p.shard_key();
      r.size_bytes = segment / 4;
      r.sha256 = begin.shard_sha256(p.index());
      r.stored_at = absl::Now();
      commit.add_receipts()->set_token(
          freehold::TokenSigner(nodes.at(p.node_id()).key)
              .Sign(fc::ProtoClaimsCodec::EncodeReceipt(r), fc::kReceiptContext));
    }
    return commit;
  };
  // Single calls: each round trip is Begin + Commit of one segment.
  auto single_client = [&](int c) {
    const std::string bearer = bearer_for_new_account();
    while (!stop.load()) {
      const std::string object_id = create_object(bearer);
      if (object_id.empty()) continue;
      for (int s = 0; s < kSegmentsPerObject && !stop.load(); ++s) {
        freehold::v1::BeginSegmentRequest begin = begin_request(c, object_id, s);
        freehold::v1::BeginSegmentResponse plan;
        grpc::ClientContext bctx;
        bctx.AddMetadata("authorization", bearer);
        grpc::Status bs = stub->BeginSegment(&bctx, begin, &plan);
        if (!bs.ok()) {
          if (failures++ == 0) std::cerr << "BeginSegment: " << bs.error_message() << "\n";
          break;
        }
        freehold::v1::CommitSegmentRequest commit = commit_request(begin, plan);
        freehold::v1::CommitSegmentResponse done;
        grpc::ClientContext mctx;
        mctx.AddMetadata("authorization", bearer);
        grpc::Status ms = stub->CommitSegment(&mctx, commit, &done);
        if (!ms.ok()) {
          if (failures++ == 0) std::cerr << "CommitSegment: " << ms.error_message() << "\n";
          break;
        }
        segments_done++;
      }
    }
  };
  // Batched calls: `batch` consecutive segments per BeginSegments + CommitSegments,
  // spanning objects (a new object every kSegmentsPerObject segments).
  auto batch_client = [&](int c) {
    const std::string bearer = bearer_for_new_account();
    std::string object_id;
    int next = kSegmentsPerObject;
    while (!stop.load()) {
      freehold::v1::BeginSegmentsRequest begins;
      while (begins.segments_size() < batch) {
        if (next == kSegmentsPerObject) {
          object_id = create_object(bearer);
          if (object_id.empty()) return;
          next = 0;
        }
        *begins.add_segments() = begin_request(c, object_id, next++);
      }
      freehold::v1::BeginSegmentsResponse plans;
      grpc::ClientContext bctx;
      bctx.AddMetadata("authorization", bearer);
      grpc::Status bs = stub->BeginSegments(&bctx, begins, &plans);
      if (!bs.ok() || plans.segments_size() != batch) {
        if (failures++ == 0) std::cerr << "BeginSegments: " << bs.error_message() << "\n";
        return;
      }
      freehold::v1::CommitSegmentsRequest commits;
      for (int i = 0; i < batch; ++i) {
        *commits.add_segments() = commit_request(begins.segments(i), plans.segments(i));
      }
      freehold::v1::CommitSegmentsResponse done;
      grpc::ClientContext mctx;
      mctx.AddMetadata("authorization", bearer);
      grpc::Status ms = stub->CommitSegments(&mctx, commits, &done);
      if (!ms.ok()) {
        if (failures++ == 0) std::cerr << "CommitSegments: " << ms.error_message() << "\n";
        return;
      }
      segments_done += batch;
    }
  };
  // Runs `clients` copies of `body` for `seconds`; segments committed per second.
  auto measure = [&](const std::function<void(int)>& body) {
    segments_done = 0;
    stop = false;
    std::vector<std::thread> threads;
    const absl::Time start = absl::Now();
    for (int c = 0; c < clients; ++c) threads.emplace_back(body, c);
    absl::SleepFor(absl::Seconds(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    return static_cast<double>(segments_done.load()) /
           absl::ToDoubleSeconds(absl::Now() - start);
  };
  const double rate = measure(single_client);
  const double batched = batch > 0 ? measure(batch_client) : 0;
  (void)(*coordinator)->Stop();

  const double tps = PgbenchInsertTps(*db, clients, seconds, dir);
  std::printf("clients: %d, nodes: %d, k+m: 4+2, seconds: %d, batch: %d, failures: %lld\n",
              clients, node_count, seconds, batch, static_cast<long long>(failures.load()));
  std::printf("figure: coordinator_begin_commit_per_second %.1f\n", rate);
  if (batch > 0) {
    std::printf("figure: coordinator_batched_segments_per_second %.1f\n", batched);
    if (rate > 0) std::printf("figure: batched_over_single %.2f\n", batched / rate);
  }
  std::printf("figure: pgbench_single_row_insert_tps %.1f\n", tps);
  if (tps > 0) {
    std::printf("figure: begin_commit_per_pgbench_insert %.3f\n", rate / tps);
    if (batch > 0) std::printf("figure: batched_segments_per_pgbench_insert %.3f\n", batched / tps);
  }
  return failures.load() == 0 ? 0 : 1;
}
