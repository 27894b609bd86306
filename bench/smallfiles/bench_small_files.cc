// freehold-bench-small-files: files per second for many small files (issue 20,
// "Many small files, fast"), a benchmark, not a test.
//
//   FREEHOLD_TEST_PG_URL=... build/bin/freehold-bench-small-files [--files 300]
//       [--concurrency 8] [--by-file 30] [--tree-sizes 1000,10000]
// (FREEHOLD_BENCH_ONLY_TREES=1: the --tree-sizes part alone.)
//
// Starts a private cluster like the e2e tests (accounts, coordinator, six storage
// daemons in three zones, PostgreSQL; mutual TLS on loopback) and a seeded tree of
// N files of 1-64 KiB, then times on the same tree in the same run:
//   freehold put FILE... / get NAME... -o DIR (one command each, --concurrency C),
//     with the coordinator's default inline limit (64 KiB) and again with 4 KiB
//     (most files sharded: the measurement behind the default);
//   freehold put -r DIR /tree / get -r /tree DIR (folders: the tree as an encrypted
//     folder, names by keyed hash, permissions and times restored);
//   freehold put file by file (a new process per file, the old way), on --by-file files;
//   restic backup / restore into a fresh local repository;
//   rclone copy to / from a local crypt remote.
// Then, for each size of --tree-sizes (default 1000,10000; 0 skips), a seeded tree of
// that many files of 1-64 KiB in nested folders (100 files a folder, 5 folders under
// each top folder), on one fresh cluster: freehold put -r / get -r, restic backup /
// restore and rclone copy to / from crypt on that same tree, and the time ratio of
// the largest tree to the smallest for each (files scale by that ratio; a ratio above
// it is a superlinear step).
// Prints `figure: NAME VALUE` (files/s) and the ratios to restic and rclone.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"

namespace freehold::e2e {
namespace {

struct Options {
  int files = 300;
  int concurrency = 8;
  int by_file = 30;
  std::vector<int> tree_sizes = {1000, 10000};
};

void Figure(const std::string& name, double value) {
  std::cout << absl::StrFormat("figure: %s %.2f\n", name, value) << std::flush;
}

[[noreturn]] void Die(const std::string& what, const CliResult& r) {
  std::cerr << what << " failed: " << r.Describe() << "\n";
  std::exit(1);
}

double Seconds(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

struct Tree {
  std::string dir;
  std::vector<std::string> names;
  std::vector<std::string> paths;
};

Tree MakeTree(const std::string& dir, int files) {
  ::mkdir(dir.c_str(), 0700);
  Tree t{dir, {}, {}};
  std::mt19937 rng(20);
  std::uniform_int_distribution<size_t> size(1024, 64 * 1024);
  for (int i = 0; i < files; ++i) {
    const std::string name = absl::StrFormat("f%04d.bin", i);
    WriteRandomFile(dir + "/" + name, size(rng), static_cast<uint32_t>(i + 1));
    t.names.push_back(name);
    t.paths.push_back(dir + "/" + name);
  }
  return t;
}

void Verify(const Tree& t, const std::string& out_dir, const std::string& who) {
  for (const std::string& n : t.names) {
    if (ReadFile(t.dir + "/" + n) != ReadFile(out_dir + "/" + n)) {
      std::cerr << who << ": " << n << " differs after the round trip\n";
      std::exit(1);
    }
  }
}

struct FreeholdFigures {
  double put = 0, get = 0, by_file = 0, get_transfer = 0;
  double put_tree = 0, get_tree = 0;  // put -r / get -r
};

FreeholdFigures RunFreehold(const Options& o, const Tree& tree, const std::string& inline_limit,
                            bool by_file) {
  ClusterOptions co;
  co.coordinator_args = {"--inline-max-size", inline_limit};
  absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(co);
  if (!c.ok()) {
    std::cerr << "cluster did not start: " << c.status() << "\n";
    std::exit(1);
  }
  CliUser user((*c)->accounts_address(), (*c)->coordinator_address(), TestPassword("bench"),
               (*c)->ca_file());
  CliResult r = user.Run({"signup", "--handle", absl::StrCat("bench", ::getpid())});
  if (r.exit_code != 0) Die("signup", r);
  FreeholdFigures f;
  std::vector<std::string> put = {"-q", "put", "--concurrency", std::to_string(o.concurrency)};
  put.insert(put.end(), tree.paths.begin(), tree.paths.end());
  absl::Time start = absl::Now();
  r = user.Run(put, {}, absl::Minutes(10));
  if (r.exit_code != 0) Die("freehold put", r);
  f.put = tree.names.size() / Seconds(start);

  const std::string out = tree.dir + ".freehold-" + inline_limit;
  ::mkdir(out.c_str(), 0700);
  std::vector<std::string> get = {"--json", "get", "--concurrency", std::to_string(o.concurrency),
                                  "-o",     out};
  get.insert(get.end(), tree.names.begin(), tree.names.end());
  start = absl::Now();
  r = user.Run(get, {}, absl::Minutes(10));
  if (r.exit_code != 0) Die("freehold get", r);
  f.get = tree.names.size() / Seconds(start);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_discarded() && j.contains("seconds")) {
    // The transfer alone: after start-up, login and name resolution.
    f.get_transfer = tree.names.size() / j["seconds"].get<double>();
  }
  Verify(tree, out, "freehold");

  // The same tree as a folder: put -r, get -r.
  start = absl::Now();
  r = user.Run(
      {"-q", "put", "-r", "--concurrency", std::to_string(o.concurrency), tree.dir, "/tree"}, {},
      absl::Minutes(10));
  if (r.exit_code != 0) Die("freehold put -r", r);
  f.put_tree = tree.names.size() / Seconds(start);
  const std::string out_tree = tree.dir + ".freehold-r-" + inline_limit;
  start = absl::Now();
  r = user.Run(
      {"-q", "get", "-r", "--concurrency", std::to_string(o.concurrency), "/tree", out_tree}, {},
      absl::Minutes(10));
  if (r.exit_code != 0) Die("freehold get -r", r);
  f.get_tree = tree.names.size() / Seconds(start);
  Verify(tree, out_tree, "freehold -r");

  if (by_file) {
    const int n = std::min<int>(o.by_file, static_cast<int>(tree.paths.size()));
    start = absl::Now();
    for (int i = 0; i < n; ++i) {
      r = user.Run({"-q", "put", tree.paths[i], "--name", absl::StrCat("again-", i)});
      if (r.exit_code != 0) Die("freehold put (file by file)", r);
    }
    f.by_file = n / Seconds(start);
  }
  return f;
}

// `files` files of 1-64 KiB in nested folders: top folders t00.. of 5 folders of 100
// files each (the same shape at every size, so the work per file is the same).
Tree MakeNestedTree(const std::string& dir, int files, uint32_t seed) {
  ::mkdir(dir.c_str(), 0700);
  Tree t{dir, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> size(1024, 64 * 1024);
  for (int i = 0; i < files; ++i) {
    const std::string top = absl::StrFormat("t%02d", i / 500);
    const std::string sub = absl::StrFormat("%s/s%d", top, (i / 100) % 5);
    if (i % 500 == 0) ::mkdir((dir + "/" + top).c_str(), 0700);
    if (i % 100 == 0) ::mkdir((dir + "/" + sub).c_str(), 0700);
    const std::string name = absl::StrFormat("%s/f%05d.bin", sub, i);
    WriteRandomFile(dir + "/" + name, size(rng), seed * 100000 + static_cast<uint32_t>(i));
    t.names.push_back(name);
    t.paths.push_back(dir + "/" + name);
  }
  return t;
}

std::pair<double, double> RunRestic(const Tree& tree, const std::string& work);
std::pair<double, double> RunRclone(const Tree& tree, const std::string& work);

struct ScalePoint {
  int files = 0;
  double put_s = 0, get_s = 0;                // freehold put -r / get -r, seconds
  double restic_put_s = 0, restic_get_s = 0;  // seconds
  double rclone_put_s = 0, rclone_get_s = 0;
};

void RunScaling(const Options& o, const std::string& work) {
  absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(ClusterOptions());
  if (!c.ok()) {
    std::cerr << "cluster did not start: " << c.status() << "\n";
    std::exit(1);
  }
  CliUser user((*c)->accounts_address(), (*c)->coordinator_address(), TestPassword("scale"),
               (*c)->ca_file());
  CliResult r = user.Run({"signup", "--handle", absl::StrCat("scale", ::getpid())});
  if (r.exit_code != 0) Die("signup", r);
  std::vector<ScalePoint> points;
  for (int n : o.tree_sizes) {
    const std::string dir = absl::StrCat(work, "/scale", n);
    ::mkdir(dir.c_str(), 0700);
    const Tree tree = MakeNestedTree(dir + "/tree", n, static_cast<uint32_t>(n));
    ScalePoint p;
    p.files = n;
    const std::string remote = absl::StrCat("/scale", n);
    absl::Time start = absl::Now();
    r = user.Run(
        {"-q", "put", "-r", "--concurrency", std::to_string(o.concurrency), tree.dir, remote}, {},
        absl::Minutes(30));
    if (r.exit_code != 0) Die("freehold put -r", r);
    p.put_s = Seconds(start);
    const std::string out = dir + "/freehold-out";
    start = absl::Now();
    r = user.Run({"-q", "get", "-r", "--concurrency", std::to_string(o.concurrency), remote, out},
                 {}, absl::Minutes(30));
    if (r.exit_code != 0) Die("freehold get -r", r);
    p.get_s = Seconds(start);
    Verify(tree, out, "freehold -r");
    const auto [restic_put, restic_get] = RunRestic(tree, dir);
    p.restic_put_s = n / restic_put;
    p.restic_get_s = n / restic_get;
    const auto [rclone_put, rclone_get] = RunRclone(tree, dir);
    p.rclone_put_s = n / rclone_put;
    p.rclone_get_s = n / rclone_get;
    const std::string label = absl::StrCat("tree_", n);
    Figure(label + "_freehold_put_r_files_per_s", n / p.put_s);
    Figure(label + "_freehold_get_r_files_per_s", n / p.get_s);
    Figure(label + "_restic_backup_files_per_s", restic_put);
    Figure(label + "_restic_restore_files_per_s", restic_get);
    Figure(label + "_rclone_crypt_copy_to_files_per_s", rclone_put);
    Figure(label + "_rclone_crypt_copy_from_files_per_s", rclone_get);
    Figure(label + "_put_r_vs_restic", restic_put > 0 ? (n / p.put_s) / restic_put : 0);
    Figure(label + "_get_r_vs_restic", restic_get > 0 ? (n / p.get_s) / restic_get : 0);
    Figure(label + "_put_r_vs_rclone_crypt", rclone_put > 0 ? (n / p.put_s) / rclone_put : 0);
    Figure(label + "_get_r_vs_rclone_crypt", rclone_get > 0 ? (n / p.get_s) / rclone_get : 0);
    points.push_back(p);
    std::string rm = "rm -rf '" + dir + "'";
    if (std::system(rm.c_str()) != 0) std::cerr << "could not remove " << dir << "\n";
  }
  if (points.size() < 2) return;
  const ScalePoint& a = points.front();
  const ScalePoint& b = points.back();
  const std::string label = absl::StrCat(b.files, "_vs_", a.files);
  Figure("tree_files_ratio_" + label, static_cast<double>(b.files) / a.files);
  Figure("freehold_put_r_time_ratio_" + label, b.put_s / a.put_s);
  Figure("freehold_get_r_time_ratio_" + label, b.get_s / a.get_s);
  Figure("restic_backup_time_ratio_" + label, b.restic_put_s / a.restic_put_s);
  Figure("restic_restore_time_ratio_" + label, b.restic_get_s / a.restic_get_s);
  Figure("rclone_crypt_copy_to_time_ratio_" + label, b.rclone_put_s / a.rclone_put_s);
  Figure("rclone_crypt_copy_from_time_ratio_" + label, b.rclone_get_s / a.rclone_get_s);
}

std::pair<double, double> RunRestic(const Tree& tree, const std::string& work) {
  const std::string repo = work + "/restic-repo", pw = work + "/restic-pw";
  std::ofstream(pw) << "bench restic password\n";
  auto restic = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"--repo", repo, "--password-file", pw, "--quiet"};
    all.insert(all.end(), args.begin(), args.end());
    CliResult r = RunTool("/usr/bin/restic", all, work, absl::Minutes(10));
    if (r.exit_code != 0) Die("restic " + args[0], r);
  };
  restic({"init"});
  absl::Time start = absl::Now();
  restic({"backup", tree.dir});
  const double put = tree.names.size() / Seconds(start);
  const std::string out = work + "/restic-out";
  start = absl::Now();
  restic({"restore", "latest", "--target", out});
  const double get = tree.names.size() / Seconds(start);
  Verify(tree, out + tree.dir, "restic");
  return {put, get};
}

std::pair<double, double> RunRclone(const Tree& tree, const std::string& work) {
  CliResult ob = RunTool("/usr/bin/rclone", {"obscure", "bench rclone password"}, work);
  if (ob.exit_code != 0) Die("rclone obscure", ob);
  std::string obscured = ob.out;
  while (!obscured.empty() && (obscured.back() == '\n' || obscured.back() == '\r')) {
    obscured.pop_back();
  }
  const std::string conf = work + "/rclone.conf";
  std::ofstream(conf) << "[secret]\ntype = crypt\nremote = " << work
                      << "/rclone-crypt\npassword = " << obscured << "\n";
  auto rclone = [&](const std::string& from, const std::string& to) {
    CliResult r =
        RunTool("/usr/bin/rclone", {"--config", conf, "copy", from, to}, work, absl::Minutes(10));
    if (r.exit_code != 0) Die("rclone copy " + from, r);
  };
  absl::Time start = absl::Now();
  rclone(tree.dir, "secret:");
  const double put = tree.names.size() / Seconds(start);
  const std::string out = work + "/rclone-out";
  start = absl::Now();
  rclone("secret:", out);
  const double get = tree.names.size() / Seconds(start);
  Verify(tree, out, "rclone");
  return {put, get};
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--tree-sizes") {  // comma-separated, ascending; 0 = none
      o.tree_sizes.clear();
      for (absl::string_view part : absl::StrSplit(argv[i + 1], ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 0 || n > 1000000) {
          std::cerr << "bad value for --tree-sizes: " << argv[i + 1] << "\n";
          return 2;
        }
        if (n > 0) o.tree_sizes.push_back(n);
      }
      continue;
    }
    int v = 0;
    if (!absl::SimpleAtoi(argv[i + 1], &v) || v < 1) {
      std::cerr << "bad value for " << flag << "\n";
      return 2;
    }
    if (flag == "--files")
      o.files = v;
    else if (flag == "--concurrency")
      o.concurrency = v;
    else if (flag == "--by-file")
      o.by_file = v;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  char tmpl[] = "/tmp/freehold-bench-small.XXXXXX";
  const std::string work = ::mkdtemp(tmpl);
  const Tree tree = MakeTree(work + "/tree", o.files);
  std::cout << "files: " << o.files << " of 1-64 KiB, concurrency " << o.concurrency << "\n";

  if (std::getenv("FREEHOLD_BENCH_ONLY_TREES") != nullptr) {  // the scaling part alone
    RunScaling(o, work);
    return 0;
  }
  if (std::getenv("FREEHOLD_BENCH_ONLY_FREEHOLD") != nullptr) {  // quick look while tuning
    const FreeholdFigures f = RunFreehold(o, tree, "64KiB", false);
    Figure("freehold_put_files_per_s", f.put);
    Figure("freehold_get_files_per_s", f.get);
    Figure("freehold_get_transfer_only_files_per_s", f.get_transfer);
    Figure("freehold_put_r_files_per_s", f.put_tree);
    Figure("freehold_get_r_files_per_s", f.get_tree);
    return 0;
  }
  const auto [restic_put, restic_get] = RunRestic(tree, work);
  Figure("restic_backup_files_per_s", restic_put);
  Figure("restic_restore_files_per_s", restic_get);
  const auto [rclone_put, rclone_get] = RunRclone(tree, work);
  Figure("rclone_crypt_copy_to_files_per_s", rclone_put);
  Figure("rclone_crypt_copy_from_files_per_s", rclone_get);

  const FreeholdFigures small = RunFreehold(o, tree, "64KiB", true);
  Figure("freehold_put_files_per_s", small.put);
  Figure("freehold_get_files_per_s", small.get);
  Figure("freehold_get_transfer_only_files_per_s", small.get_transfer);
  Figure("freehold_put_file_by_file_files_per_s", small.by_file);
  Figure("put_vs_restic", small.put / restic_put);
  Figure("get_vs_restic", small.get / restic_get);
  Figure("put_vs_rclone_crypt", small.put / rclone_put);
  Figure("get_vs_rclone_crypt", small.get / rclone_get);
  Figure("freehold_put_r_files_per_s", small.put_tree);
  Figure("freehold_get_r_files_per_s", small.get_tree);
  Figure("put_r_vs_restic", small.put_tree / restic_put);
  Figure("get_r_vs_restic", small.get_tree / restic_get);
  Figure("put_r_vs_rclone_crypt", small.put_tree / rclone_put);
  Figure("get_r_vs_rclone_crypt", small.get_tree / rclone_get);

  const FreeholdFigures sharded = RunFreehold(o, tree, "4KiB", false);
  Figure("freehold_inline_4KiB_put_files_per_s", sharded.put);
  Figure("freehold_inline_4KiB_get_files_per_s", sharded.get);
  Figure("inline_64KiB_vs_4KiB_put", small.put / sharded.put);
  Figure("inline_64KiB_vs_4KiB_get", small.get / sharded.get);
  RunScaling(o, work);
  std::string rm = "rm -rf '" + work + "'";
  if (std::system(rm.c_str()) != 0) std::cerr << "could not remove " << work << "\n";
  return 0;
}

}  // namespace
}  // namespace freehold::e2e

int main(int argc, char** argv) { return freehold::e2e::Main(argc, argv); }
