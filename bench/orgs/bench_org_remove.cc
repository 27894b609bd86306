// freehold-bench-org-remove: removing a member from an organization that owns 1,000
// files (issue 21's benchmark), a benchmark, not a test.
//
//   FREEHOLD_TEST_PG_URL=... build/bin/freehold-bench-org-remove [--files 1000] [--rounds 3]
//
// Starts a private cluster like the e2e tests (accounts, coordinator, six storage daemons
// in three zones, PostgreSQL; mutual TLS on loopback), makes an organization of three
// members that owns N small files (`freehold put --org`, timed but not the figure), then
// per round adds a member and times `freehold org remove` (a key rotation wrapped to the
// remaining members; the server refuses the removed member from then on) and counts the
// RPCs it issued from the servers' own freehold_rpc_total (accounts + coordinator; the
// background calls -- the coordinator's polls of accounts, daemons' heartbeats -- left out).
// References in the same run: the same removal in an organization owning no file (the
// RPC count must not grow with files: one round trip per batch, not per file), a
// one-RPC CLI command (`freehold org members`), and a raw unary RPC round trip.
// Branch orgkeys: the same N files also in a folder shared with a member (`put -r`,
// `share`); after the removals, the first `put -r` of one file into it re-keys the
// folder (a new key for the current generation, N wraps again, in SetEntryKeys batches
// of 1000: docs/PROTOCOL.md 9.4), timed and counted beside a second, identical write
// into the re-keyed folder in the same run.
// Prints `figure: NAME VALUE` lines.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"

namespace freehold::e2e {
namespace {

void Figure(const std::string& name, double value) {
  std::cout << absl::StrFormat("figure: %s %.4g\n", name, value) << std::flush;
}

[[noreturn]] void Die(const std::string& what, const CliResult& r) {
  std::cerr << what << " failed: " << r.Describe() << "\n";
  std::exit(1);
}

double Seconds(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// freehold_rpc_total per method (all status codes) at a Prometheus endpoint.
std::map<std::string, double> RpcCounts(const std::string& metrics_address,
                                        const std::string& scratch) {
  CliResult r = RunTool("/usr/bin/curl",
                        {"-sS", "--max-time", "5", absl::StrCat("http://", metrics_address, "/metrics")},
                        scratch);
  if (r.exit_code != 0) Die("reading metrics", r);
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (!absl::StartsWith(line, "freehold_rpc_total{")) continue;
    const size_t m = line.find("method=\"");
    if (m == absl::string_view::npos) continue;
    const absl::string_view rest = line.substr(m + 8);
    const std::string method(rest.substr(0, rest.find('"')));
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) out[method] += v;
  }
  return out;
}

struct RpcDelta {
  double total = 0;
  double coordinator = 0;
  std::string detail;  // method=count, ...
};

class Counter {
 public:
  explicit Counter(const Cluster& c) : c_(c) {}
  void Start() {
    acc_ = RpcCounts(c_.accounts_metrics_address(), c_.dir());
    coord_ = RpcCounts(c_.coordinator_metrics_address(), c_.dir());
  }
  RpcDelta Stop() {
    RpcDelta d;
    Add(d, "accounts", acc_, c_.accounts_metrics_address());
    Add(d, "coordinator", coord_, c_.coordinator_metrics_address());
    return d;
  }

 private:
  void Add(RpcDelta& d, const std::string& side, std::map<std::string, double>& before,
           const std::string& address) {
    for (const auto& [method, v] : RpcCounts(address, c_.dir())) {
      // Background calls are not the command's: the coordinator's polls of accounts and
      // the storage daemons' heartbeats.
      if (method == "ListDeletedAccounts" || method == "AckDeletedAccounts" ||
          method == "ListRevokedSessions" || method == "Heartbeat" || method == "RegisterNode") {
        continue;
      }
      const double n = v - before[method];
      if (n <= 0) continue;
      d.total += n;
      if (side == "coordinator") d.coordinator += n;
      absl::StrAppend(&d.detail, d.detail.empty() ? "" : ", ", side, ".", method, "=", n);
    }
  }

  const Cluster& c_;
  std::map<std::string, double> acc_, coord_;
};

int Main(int argc, char** argv) {
  int files = 1000;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    int v = 0;
    if (!absl::SimpleAtoi(argv[i + 1], &v) || v < 1) {
      std::cerr << "bad value for " << flag << "\n";
      return 2;
    }
    if (flag == "--files") {
      files = std::min(v, 20000);
    } else if (flag == "--rounds") {
      rounds = std::min(v, 20);
    } else {
      std::cerr << "usage: freehold-bench-org-remove [--files N] [--rounds R]\n";
      return 2;
    }
  }
  ClusterOptions co;
  absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(co);
  if (!c.ok()) {
    std::cerr << "cluster did not start: " << c.status() << "\n";
    return 1;
  }
  Cluster& cluster = **c;
  auto user = [&](const std::string& handle) {
    auto u = std::make_unique<CliUser>(cluster.accounts_address(), cluster.coordinator_address(),
                                       "bench password " + handle + " 123", cluster.ca_file());
    CliResult r = u->Run({"signup", "--handle", handle, "--remember"});
    if (r.exit_code != 0) Die("signup " + handle, r);
    return u;
  };
  const std::string tag = std::to_string(::getpid());
  auto owner = user("own" + tag);
  std::vector<std::string> others;
  std::vector<std::unique_ptr<CliUser>> keep;
  for (int i = 0; i < 2 + rounds * 2; ++i) {
    others.push_back(absl::StrCat("mem", tag, "x", i));
    keep.push_back(user(others.back()));
  }
  const std::string big = "big" + tag, empty = "empty" + tag;
  for (const std::string& org : {big, empty}) {
    CliResult r = owner->Run({"org", "create", org});
    if (r.exit_code != 0) Die("org create", r);
    for (int i = 0; i < 2; ++i) {
      r = owner->Run({"org", "add", org, others[i]});
      if (r.exit_code != 0) Die("org add", r);
    }
  }

  // N small files owned by the organization.
  const std::string dir = owner->File("files");
  ::mkdir(dir.c_str(), 0700);
  std::vector<std::string> put = {"-q", "put", "--org", big, "--concurrency", "8"};
  for (int i = 0; i < files; ++i) {
    const std::string path = absl::StrCat(dir, "/f", i, ".txt");
    WriteRandomFile(path, 200 + (i % 50) * 20, static_cast<uint32_t>(i));
    put.push_back(path);
  }
  absl::Time start = absl::Now();
  CliResult r = owner->Run(put, {}, absl::Minutes(10));
  if (r.exit_code != 0) Die("put --org", r);
  const double put_s = Seconds(start);
  Figure("org_put_files", files);
  Figure("org_put_files_per_second", files / put_s);

  // The same files in a folder shared with a member (its key to generation 1).
  start = absl::Now();
  r = owner->Run({"-q", "put", "-r", "--org", big, "--concurrency", "8", dir, "/shared"}, {},
                 absl::Minutes(10));
  if (r.exit_code != 0) Die("put -r --org", r);
  Figure("org_put_r_files_per_second", files / Seconds(start));
  r = owner->Run({"-q", "share", "--org", big, "/shared", "--with", others[0]}, {},
                 absl::Minutes(5));
  if (r.exit_code != 0) Die("share --org /shared", r);

  Counter counter(cluster);
  std::vector<double> big_s, empty_s, members_s, big_rpcs, empty_rpcs, coord_rpcs;
  std::string detail;
  for (int round = 0; round < rounds; ++round) {
    for (const std::string& org : {big, empty}) {
      const std::string victim = others[2 + round * 2 + (org == big ? 0 : 1)];
      r = owner->Run({"org", "add", org, victim});
      if (r.exit_code != 0) Die("org add", r);
      counter.Start();
      start = absl::Now();
      r = owner->Run({"-q", "org", "remove", org, victim});
      const double s = Seconds(start);
      if (r.exit_code != 0) Die("org remove", r);
      const RpcDelta d = counter.Stop();
      (org == big ? big_s : empty_s).push_back(s);
      (org == big ? big_rpcs : empty_rpcs).push_back(d.total);
      if (org == big) {
        coord_rpcs.push_back(d.coordinator);
        detail = d.detail;
      }
    }
    start = absl::Now();
    r = owner->Run({"-q", "org", "members", big});
    if (r.exit_code != 0) Die("org members", r);
    members_s.push_back(Seconds(start));
  }
  // The removed members are refused and the remaining one still reads every file.
  r = keep[1]->Run({"--json", "ls", "--org", big}, {}, absl::Minutes(5));
  if (r.exit_code != 0) Die("ls --org by a remaining member", r);

  // The first write into the shared folder after the removals re-keys it; the second
  // (same size) does not.
  double write_s[2] = {0, 0};
  RpcDelta write_rpcs[2];
  for (int i = 0; i < 2; ++i) {
    const std::string one = owner->File(absl::StrCat("one", i));
    ::mkdir(one.c_str(), 0700);
    WriteRandomFile(absl::StrCat(one, "/added", i, ".txt"), 500, 7000 + i);
    counter.Start();
    start = absl::Now();
    r = owner->Run({"-q", "put", "-r", "--org", big, one, "/shared"}, {}, absl::Minutes(5));
    write_s[i] = Seconds(start);
    if (r.exit_code != 0) Die("put -r into the shared folder", r);
    write_rpcs[i] = counter.Stop();
  }

  // A raw unary RPC round trip on the same TLS channel kind (no process start).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
      MakeChannel(cluster.accounts_address(), cluster.client_tls());
  if (!ch.ok()) {
    std::cerr << ch.status() << "\n";
    return 1;
  }
  std::unique_ptr<v1::Accounts::Stub> stub = v1::Accounts::NewStub(*ch);
  std::vector<double> rpc_ms;
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::GetVerificationKeysRequest req;
    v1::GetVerificationKeysResponse resp;
    const absl::Time t = absl::Now();
    grpc::Status s = stub->GetVerificationKeys(&ctx, req, &resp);
    if (!s.ok()) {
      std::cerr << "raw rpc: " << s.error_message() << "\n";
      return 1;
    }
    if (i >= 20) rpc_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
  }

  std::cout << "org remove RPCs (last round, " << files << " files): " << detail << "\n";
  Figure("org_remove_seconds", Median(big_s));
  Figure("org_remove_rpcs", Median(big_rpcs));
  Figure("org_remove_coordinator_rpcs", Median(coord_rpcs));
  Figure("reference_org_remove_no_files_seconds", Median(empty_s));
  Figure("reference_org_remove_no_files_rpcs", Median(empty_rpcs));
  Figure("ratio_rpcs_1000_files_to_no_files", Median(big_rpcs) / std::max(1.0, Median(empty_rpcs)));
  Figure("reference_cli_org_members_seconds", Median(members_s));
  Figure("ratio_remove_to_one_rpc_command", Median(big_s) / Median(members_s));
  Figure("reference_raw_unary_rpc_ms", Median(rpc_ms));
  Figure("ratio_remove_to_rpcs_times_raw_rpc",
         Median(big_s) * 1000 / (Median(big_rpcs) * Median(rpc_ms)));
  std::cout << "first write after the removal (re-key of " << files
            << " entries) RPCs: " << write_rpcs[0].detail << "\n";
  Figure("org_rekey_first_write_seconds", write_s[0]);
  Figure("org_rekey_first_write_rpcs", write_rpcs[0].total);
  Figure("reference_second_write_seconds", write_s[1]);
  Figure("reference_second_write_rpcs", write_rpcs[1].total);
  Figure("ratio_rekey_write_to_plain_write_seconds", write_s[0] / std::max(1e-6, write_s[1]));
  return 0;
}

}  // namespace
}  // namespace freehold::e2e

int main(int argc, char** argv) { return freehold::e2e::Main(argc, argv); }
