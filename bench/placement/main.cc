// freehold-bench-placement: our weighted rendezvous placement against Ceph's
// crushtool on the same topology (60 OSDs, 3 per host, 4+2 with hosts
// distinct), measured in the same run. Prints `figure: NAME VALUE` lines.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/placement/crushtool_runner.h"
#include "bench/placement/placement_stats.h"
#include "coordinator/placement/placement_map.h"

namespace freehold::placement::bench {
namespace {

constexpr int kPerHost = 3;
constexpr int kOsds = 60;
constexpr int kJoinOsds = 63;
constexpr int kReplicas = 6;
constexpr uint64_t kTB = 1'000'000'000'000ULL;

struct BenchConfig {
  int64_t segments = 1'000'000;
  std::string crushtool = "/usr/bin/crushtool";
  std::string work_dir;
  bool keep_work_dir = false;
};

void Figure(const std::string& name, double value) {
  std::printf("figure: %s %.6g\n", name.c_str(), value);
}
void Note(const std::string& text) { std::printf("# %s\n", text.c_str()); }

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// OSD i lives on host i / 3, like `crushtool --build ... host straw2 3`.
std::vector<NodeInfo> Topology(int osds, const std::vector<uint64_t>& capacity) {
  std::vector<NodeInfo> nodes;
  for (int i = 0; i < osds; ++i) {
    NodeInfo n;
    n.id = absl::StrCat("osd.", i);
    n.region = "default";
    n.zone = "default";
    n.host = absl::StrCat("host", i / kPerHost);
    n.capacity_bytes = capacity.empty() ? kTB : capacity[i];
    nodes.push_back(n);
  }
  return nodes;
}

PlacementMap MustBuild(const std::vector<NodeInfo>& nodes) {
  PlacementPolicy policy;
  policy.data_shards = 4;
  policy.parity_shards = 2;
  policy.level = FailureDomainLevel::kHost;
  absl::StatusOr<PlacementMap> map = PlacementMap::Build(nodes, policy);
  if (!map.ok()) {
    std::fprintf(stderr, "placement map: %s\n", map.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(map);
}

// OSD number of each map index ("osd.N" ids sort lexicographically).
std::vector<int> OsdOfIndex(const PlacementMap& map) {
  std::vector<int> osd(map.node_count());
  for (int i = 0; i < map.node_count(); ++i) osd[i] = std::atoi(map.node(i).id.c_str() + 4);
  return osd;
}

struct Timed {
  std::vector<int> mapping;  // segment * 6 + position -> OSD number
  double cpu_seconds = 0;
  double wall_seconds = 0;
};

Timed PlaceAll(const PlacementMap& map, int64_t segments) {
  const std::vector<int> osd = OsdOfIndex(map);
  Timed t;
  t.mapping.resize(segments * kReplicas);
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  for (int64_t s = 0; s < segments; ++s) {
    absl::StatusOr<std::vector<int>> placed = map.Place(SegmentKey::FromUint64(s));
    if (!placed.ok()) {
      std::fprintf(stderr, "place: %s\n", placed.status().ToString().c_str());
      std::exit(1);
    }
    for (int i = 0; i < kReplicas; ++i) t.mapping[s * kReplicas + i] = osd[(*placed)[i]];
  }
  t.cpu_seconds = ThreadCpuSeconds() - cpu0;
  t.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return t;
}

// The assignment the coordinator would record after the map change: stable
// positions via ReassignShards.
std::vector<int> Reassign(const PlacementMap& after, const std::vector<int>& before,
                          int64_t segments) {
  std::vector<int> out(before.size());
  std::vector<std::string> previous(kReplicas);
  for (int64_t s = 0; s < segments; ++s) {
    for (int i = 0; i < kReplicas; ++i)
      previous[i] = absl::StrCat("osd.", before[s * kReplicas + i]);
    absl::StatusOr<std::vector<std::string>> now =
        after.ReassignShards(SegmentKey::FromUint64(s), previous);
    if (!now.ok()) {
      std::fprintf(stderr, "reassign: %s\n", now.status().ToString().c_str());
      std::exit(1);
    }
    for (int i = 0; i < kReplicas; ++i) out[s * kReplicas + i] = std::atoi((*now)[i].c_str() + 4);
  }
  return out;
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, v.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(v);
}

// Mixed capacities: hosts 0-4 three 1 TB disks, hosts 5-14 three 4 TB disks,
// hosts 15-19 one each of 1, 4 and 8 TB (200 TB; largest host 6.5% < 1/6).
std::vector<uint64_t> MixedCapacities() {
  std::vector<uint64_t> cap(kOsds);
  for (int i = 0; i < kOsds; ++i) {
    const int host = i / kPerHost;
    if (host < 5) {
      cap[i] = 1 * kTB;
    } else if (host < 15) {
      cap[i] = 4 * kTB;
    } else {
      cap[i] = (i % 3 == 0 ? 1 : i % 3 == 1 ? 4 : 8) * kTB;
    }
  }
  return cap;
}

int Run(const BenchConfig& config) {
  const int64_t n = config.segments;
  const bool with_crush = !config.crushtool.empty();
  Note(absl::StrCat("topology: ", kOsds, " OSDs, ", kPerHost, " per host, ", kOsds / kPerHost,
                    " hosts; 4+2 shards, hosts distinct; ", n, " segments"));
  Figure("segments", static_cast<double>(n));

  // --- Ours: equal map, then one host of 3 nodes joins. ---
  const PlacementMap map60 = MustBuild(Topology(kOsds, {}));
  const PlacementMap map63 = MustBuild(Topology(kJoinOsds, {}));
  const Timed ours = PlaceAll(map60, n);
  const double ours_pps = n / ours.cpu_seconds;
  const double ours_mom = MaxOverMean(CountPerNode(ours.mapping, kOsds));
  const Timed ours63 = PlaceAll(map63, n);
  const Movement ours_move = CompareMappings(ours.mapping, ours63.mapping, kReplicas);
  const std::vector<int> ours63_stable = Reassign(map63, ours.mapping, n);
  const Movement ours_stable = CompareMappings(ours.mapping, ours63_stable, kReplicas);
  const double ideal = static_cast<double>(kJoinOsds - kOsds) / kJoinOsds;

  Figure("placements_per_second", ours_pps);
  Figure("placements_per_second_wall", n / ours.wall_seconds);
  Figure("max_over_mean", ours_mom);
  Figure("binomial_floor_max_over_mean", BinomialFloorMaxOverMean(n, kOsds, kReplicas));
  Figure("ideal_movement_fraction", ideal);
  Figure("movement_ratio", ours_move.set_fraction / ideal);
  Figure("positional_movement_ratio", ours_stable.positional_fraction / ideal);
  Figure("positional_movement_ratio_without_stable_positions",
         ours_move.positional_fraction / ideal);

  // --- Mixed capacities: expected (analytic) and observed shares. ---
  const std::vector<uint64_t> mixed_cap = MixedCapacities();
  const auto build0 = std::chrono::steady_clock::now();
  const PlacementMap mixed = MustBuild(Topology(kOsds, mixed_cap));
  const double build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - build0).count();
  const PlacementMap mixed_raw = mixed.WithoutCorrection();
  const std::vector<int> mixed_osd = OsdOfIndex(mixed);
  std::vector<double> cap_share(kOsds), expected(kOsds), uncorrected(kOsds);
  {
    const std::vector<double> c = mixed.CapacityShares();
    const std::vector<double> e = mixed.ExpectedShardShares();
    const std::vector<double> u = mixed.UncorrectedShardShares();
    for (int i = 0; i < kOsds; ++i) {
      cap_share[mixed_osd[i]] = c[i];
      expected[mixed_osd[i]] = e[i];
      uncorrected[mixed_osd[i]] = u[i];
    }
  }
  double exp_dev = 0, unc_dev = 0;
  for (int i = 0; i < kOsds; ++i) {
    exp_dev = std::max(exp_dev, std::fabs(expected[i] / cap_share[i] - 1));
    unc_dev = std::max(unc_dev, std::fabs(uncorrected[i] / cap_share[i] - 1));
  }
  std::vector<bool> small(kOsds);
  for (int i = 0; i < kOsds; ++i) small[i] = mixed_cap[i] == 1 * kTB;
  const Timed mixed_run = PlaceAll(mixed, n);
  const ShareCheck mixed_obs =
      CheckShares(CountPerNode(mixed_run.mapping, kOsds), cap_share, small);
  const ShareCheck mixed_raw_obs =
      CheckShares(CountPerNode(PlaceAll(mixed_raw, n).mapping, kOsds), cap_share, small);
  const double smallest_sd =
      std::sqrt(1.0 / (n * kReplicas * (1.0 * kTB / 200e12)));  // one 1 TB node, relative sd
  Figure("mixed_placements_per_second", n / mixed_run.cpu_seconds);
  Figure("mixed_effective_weight_build_seconds", build_seconds);
  Figure("mixed_correction_iterations", mixed.correction().iterations);
  Figure("mixed_expected_share_max_deviation", exp_dev);
  Figure("mixed_uncorrected_expected_share_max_deviation", unc_dev);
  Figure("mixed_observed_share_max_deviation", mixed_obs.max_deviation);
  Figure("mixed_uncorrected_observed_share_max_deviation", mixed_raw_obs.max_deviation);
  Figure("mixed_1tb_node_relative_sd", smallest_sd);
  Figure("mixed_small_nodes_fill_ratio", mixed_obs.group_fill);
  Figure("mixed_uncorrected_small_nodes_fill_ratio", mixed_raw_obs.group_fill);

  if (!with_crush) {
    Note("crushtool skipped (--crushtool \"\")");
    return 0;
  }

  // --- crushtool on the same topologies. ---
  Crushtool crush(config.crushtool, config.work_dir);
  const std::string cmap60 = Must(crush.BuildEqualMap("map60", kOsds, kPerHost), "crush map60");
  const std::string cmap63 = Must(crush.BuildEqualMap("map63", kJoinOsds, kPerHost), "crush map63");
  const ChildRun timing = Must(crush.TimeMappings(cmap60, kReplicas, n), "crushtool timing");
  const std::vector<int> c60 = Must(crush.Mappings(cmap60, kReplicas, n), "crush mappings 60");
  const std::vector<int> c63 = Must(crush.Mappings(cmap63, kReplicas, n), "crush mappings 63");
  const double crush_pps = n / timing.cpu_seconds;
  const double crush_mom = MaxOverMean(CountPerNode(c60, kOsds));
  const Movement crush_move = CompareMappings(c60, c63, kReplicas);
  Note(absl::StrCat("crushtool: ", config.crushtool, " -i ", cmap60, " --test --rule 0 --num-rep ",
                    kReplicas, " --min-x 0 --max-x ", n - 1,
                    " (rule: chooseleaf firstn 0 type host)"));
  Figure("crushtool_placements_per_second", crush_pps);
  Figure("crushtool_placements_per_second_wall", n / timing.wall_seconds);
  Figure("crushtool_max_over_mean", crush_mom);
  Figure("crushtool_movement_ratio", crush_move.set_fraction / ideal);
  Figure("crushtool_positional_movement_ratio", crush_move.positional_fraction / ideal);
  Figure("placements_per_second_ratio", ours_pps / crush_pps);
  Figure("max_over_mean_ratio", ours_mom / crush_mom);
  Figure("movement_ratio_vs_crushtool", ours_move.set_fraction / crush_move.set_fraction);
  Figure("positional_movement_ratio_vs_crushtool",
         ours_stable.positional_fraction / crush_move.positional_fraction);

  std::vector<CrushHost> hosts(kOsds / kPerHost);
  for (int i = 0; i < kOsds; ++i) {
    hosts[i / kPerHost].osds.push_back(i);
    hosts[i / kPerHost].weights.push_back(static_cast<double>(mixed_cap[i]) / kTB);
  }
  const std::string cmixed = Must(crush.CompileMap("mixed", hosts), "crush mixed map");
  const ShareCheck crush_mixed =
      CheckShares(CountPerNode(Must(crush.Mappings(cmixed, kReplicas, n), "crush mixed"), kOsds),
                  cap_share, small);
  Figure("crushtool_mixed_observed_share_max_deviation", crush_mixed.max_deviation);
  Figure("crushtool_mixed_small_nodes_fill_ratio", crush_mixed.group_fill);
  Figure("mixed_observed_share_max_deviation_ratio",
         mixed_obs.max_deviation / crush_mixed.max_deviation);
  return 0;
}

}  // namespace
}  // namespace freehold::placement::bench

int main(int argc, char** argv) {
  freehold::placement::bench::BenchConfig config;
  CLI::App app{"freehold-bench-placement: weighted rendezvous placement vs Ceph crushtool"};
  app.add_option("--segments", config.segments, "segments to place (and crushtool inputs)")
      ->envname("FREEHOLD_BENCH_PLACEMENT_SEGMENTS")
      ->check(CLI::Range(int64_t{1000}, int64_t{100'000'000}));
  app.add_option("--crushtool", config.crushtool, "crushtool binary; empty skips the reference")
      ->envname("FREEHOLD_BENCH_CRUSHTOOL");
  app.add_option("--work-dir", config.work_dir,
                 "scratch directory for crush maps (default: a new one under $TMPDIR)")
      ->envname("FREEHOLD_BENCH_PLACEMENT_WORK_DIR");
  app.add_flag("--keep-work-dir", config.keep_work_dir, "do not delete the scratch directory");
  CLI11_PARSE(app, argc, argv);

  bool created = false;
  if (config.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/fh-placement-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a scratch directory from %s\n", pattern.c_str());
      return 1;
    }
    config.work_dir = pattern;
    created = true;
  }
  const int rc = freehold::placement::bench::Run(config);
  if (created && !config.keep_work_dir) {
    std::error_code ec;
    std::filesystem::remove_all(config.work_dir, ec);
  }
  return rc;
}
