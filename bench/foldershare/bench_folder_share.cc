// freehold-bench-folder-share: sharing a folder of N small files with one person
// (issue 21, "Sharing a folder of 1,000 files with one person"), a benchmark,
// not a test.
//
//   FREEHOLD_TEST_PG_URL=... build/bin/freehold-bench-folder-share [--files 1000]
//
// Starts a private cluster like the e2e tests (accounts, coordinator, six storage
// daemons in three zones, PostgreSQL; TLS on loopback), stores a folder of N
// files of 100..2000 bytes (put -r), then in the same run:
//   - shares one single file with bob (the reference: what a per-file scheme pays
//     per file);
//   - shares the folder with bob (keys for the whole tree, then the share);
//   - bob lists and downloads the shared tree.
// "seconds" are measured by the CLI after the password unlock (the Argon2id every
// command pays is left out, it is the same for both); RPCs are the coordinator
// calls the share command issued, and SetEntryKeys calls the coordinator served
// (its freehold_rpc_total metric). Prints `figure: NAME VALUE`.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/probes.h"

namespace freehold::e2e {
namespace {

void Figure(const std::string& name, double value) {
  std::cout << absl::StrFormat("figure: %s %.3f\n", name, value) << std::flush;
}

[[noreturn]] void Die(const std::string& what, const CliResult& r) {
  std::cerr << what << " failed: " << r.Describe() << "\n";
  std::exit(1);
}

nlohmann::json Json(const CliUser& u, const std::vector<std::string>& args,
                    const std::string& what) {
  std::vector<std::string> full = {"--json"};
  full.insert(full.end(), args.begin(), args.end());
  CliResult r = u.Run(full, {}, absl::Minutes(10));
  if (r.exit_code != 0) Die(what, r);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) Die(what + " (output)", r);
  return j;
}

int Main(int argc, char** argv) {
  int files = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--files" && absl::SimpleAtoi(argv[i + 1], &files)) continue;
    std::cerr << "usage: freehold-bench-folder-share [--files N]\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(ClusterOptions());
  if (!c.ok()) {
    std::cerr << "cluster did not start: " << c.status() << "\n";
    return 1;
  }
  Cluster& cluster = **c;
  const std::string tag = absl::StrCat(::getpid());
  CliUser alice(cluster.accounts_address(), cluster.coordinator_address(),
                "bench password alice 123", cluster.ca_file());
  CliUser bob(cluster.accounts_address(), cluster.coordinator_address(), "bench password bob 456",
              cluster.ca_file());
  const std::string bob_handle = "benchbob" + tag;
  if (CliResult r = alice.Run({"signup", "--handle", "benchalice" + tag}); r.exit_code != 0) {
    Die("signup", r);
  }
  if (CliResult r = bob.Run({"signup", "--handle", bob_handle}); r.exit_code != 0) Die("signup", r);

  const std::string dir = alice.File("tree");
  ::mkdir(dir.c_str(), 0700);
  std::mt19937 rng(21);
  std::uniform_int_distribution<size_t> size(100, 2000);
  for (int i = 0; i < files; ++i) {
    WriteRandomFile(absl::StrFormat("%s/f%05d.txt", dir, i), size(rng), static_cast<uint32_t>(i + 1));
  }
  WriteRandomFile(alice.File("one.txt"), 1000, 99);
  if (CliResult r = alice.Run({"-q", "put", "-r", dir, "/tree"}, {}, absl::Minutes(10));
      r.exit_code != 0) {
    Die("put -r", r);
  }
  if (CliResult r = alice.Run({"-q", "put", alice.File("one.txt")}); r.exit_code != 0) {
    Die("put", r);
  }

  // The coordinator's own count of SetEntryKeys calls (freehold_rpc_total, every status
  // code). MetricSum runs curl with its output in the scratch directory, which must
  // exist: alice.File("scratch") did not, so every read failed (-1) and the difference
  // printed was 0. A failed read now stops the benchmark instead of printing a figure.
  const std::string metrics = cluster.coordinator_metrics_address();
  auto set_entry_keys = [&] {
    const double n = MetricSum(metrics, "freehold_rpc_total",
                               "method=\"SetEntryKeys\",service=\"freehold.v1.Coordinator\"",
                               alice.work_dir());
    if (n < 0) {
      std::cerr << "cannot read the coordinator's metrics at " << metrics << "\n";
      std::exit(1);
    }
    return n;
  };
  // Reference: sharing one file.
  nlohmann::json one = Json(alice, {"share", "one.txt", bob_handle}, "share one file");
  const double one_s = one.value("seconds", 0.0);
  const double one_rpcs = one.value("coordinator_rpcs", 0);
  // The folder.
  const double keys_before = set_entry_keys();
  const absl::Time wall = absl::Now();
  nlohmann::json folder = Json(alice, {"share", "/tree", bob_handle}, "share the folder");
  const double wall_s = absl::ToDoubleSeconds(absl::Now() - wall);
  const double keys_calls = set_entry_keys() - keys_before;
  const double folder_s = folder.value("seconds", 0.0);
  if (folder.value("entries_wrapped", 0) != files) {
    std::cerr << "expected " << files << " wraps: " << folder.dump() << "\n";
    return 1;
  }
  // Bob reads it.
  const std::string id = folder.value("id", "");
  const absl::Time get_start = absl::Now();
  nlohmann::json got = Json(bob, {"shared", "get", id, "-o", bob.File("tree")}, "shared get");
  const double get_wall = absl::ToDoubleSeconds(absl::Now() - get_start);
  if (got.value("files", 0) != files) {
    std::cerr << "bob got " << got.dump() << "\n";
    return 1;
  }

  std::cout << absl::StrFormat("# %d files; one file shared in %.3f s (%d RPCs)\n", files, one_s,
                               static_cast<int>(one_rpcs));
  Figure("folder_share_files", files);
  Figure("folder_share_seconds", folder_s);
  Figure("folder_share_wall_seconds_with_unlock", wall_s);
  Figure("folder_share_rpcs", folder.value("coordinator_rpcs", 0));
  Figure("folder_share_set_entry_keys_calls", keys_calls);
  Figure("file_share_seconds_reference", one_s);
  Figure("file_share_rpcs_reference", one_rpcs);
  Figure("folder_share_vs_one_file_share_ratio", folder_s / std::max(one_s, 1e-6));
  Figure("per_file_sharing_estimate_vs_folder_ratio",
         files * one_s / std::max(folder_s, 1e-6));
  Figure("shared_get_wall_seconds", get_wall);
  return 0;
}

}  // namespace
}  // namespace freehold::e2e

int main(int argc, char** argv) { return freehold::e2e::Main(argc, argv); }
