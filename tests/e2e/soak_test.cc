// Fault test 10 (issue 23): a randomized soak with a fixed seed over the real cluster
// (processes on loopback, 4+2 segments of 1 MiB, eight daemons in four zones).
//
// A sequence of FREEHOLD_SOAK_STEPS steps (default 120) drawn from a generator seeded
// with FREEHOLD_SOAK_SEED (default 20261207): puts (inline, one-segment and
// multi-segment sizes), byte-exact gets, deletes to the trash, restores from the trash,
// kill -9 of a daemon and its restart at least 6 s later (marked down and repaired from
// meanwhile; never more than m = 2 down, and never so many that fewer than k+m = 6
// hosts stay up), one drain (freehold-admin drain) and one node
// join, at positions drawn from the same generator. Every step is printed; a failure
// names the seed and step so that the same sequence can be replayed (the faults'
// timing is real, so a replay repeats the sequence, not every interleaving).
//
// At the end, with every daemon back: the drained node is retired and its disk empty,
// no segment is degraded or lost, every committed object reads back byte-exactly,
// every trashed object stays unreadable and, once its window has passed, has no shard
// file on any disk; and every disk holds exactly the shards the coordinator records on
// its node (all healthy, none on two disks), so an orphan sweep has nothing left to
// delete (sweeps run every 2 s with a 12 s grace and must have converged there).
//
// Bound: about 1-3 minutes (120 steps of about half a second each, then at most 90 s of
// convergence).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/fleet_checks.h"
#include "tests/e2e/probes.h"

namespace freehold::e2e {
namespace {

constexpr absl::Duration kTrashWindow = absl::Seconds(15);
constexpr int kMaxDown = 2;        // m
constexpr int kMinLiveHosts = 6;   // k + m: every segment keeps distinct hosts
// A killed daemon stays down at least this long: marked down (3 s) and repaired from.
constexpr absl::Duration kMinDowntime = absl::Seconds(6);

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t n = 0;
  if (v != nullptr && absl::SimpleAtoi(v, &n)) return n;
  return fallback;
}

// The daemon killed longest ago (`killed` not empty).
std::map<int, absl::Time>::const_iterator OldestKill(const std::map<int, absl::Time>& killed) {
  auto oldest = killed.begin();
  for (auto it = killed.begin(); it != killed.end(); ++it) {
    if (it->second < oldest->second) oldest = it;
  }
  return oldest;
}

struct SoakObject {
  std::string id;
  std::string name;
  std::string bytes;
  bool trashed = false;
  int trashed_step = -1;
  absl::Time trashed_at;
};

TEST(SoakTest, SeededRandomPutsGetsDeletesRestoresKillsDrainAndJoinLoseNothing) {
  const uint64_t seed = EnvNumber("FREEHOLD_SOAK_SEED", 20261207);
  const int steps = static_cast<int>(EnvNumber("FREEHOLD_SOAK_STEPS", 120));
  const std::string replay = absl::StrCat("replay: FREEHOLD_SOAK_SEED=", seed,
                                          " FREEHOLD_SOAK_STEPS=", steps,
                                          " ctest -R SoakTest");
  std::printf("soak: seed %llu, %d steps (%s)\n", static_cast<unsigned long long>(seed), steps,
              replay.c_str());
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  auto uniform = [&](int lo, int hi) {  // [lo, hi]
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };

  ClusterOptions o;
  o.storage_nodes = 8;
  o.zones = 4;
  o.coordinator_args = {"--repair-after",          "1s",
                        "--trash-window",          absl::FormatDuration(kTrashWindow),
                        "--grant-ttl",             "10s",
                        "--orphan-sweep-interval", "2s",
                        "--node-weight-ramp",      "0s",
                        "--drain-parallelism",     "4"};
  o.storaged_args = {"--orphan-grace", "12s"};
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;
  const std::string handle = absl::StrCat("soak", ::getpid());
  CliUser alice(cluster.accounts_address(), cluster.coordinator_address(), TestPassword(handle),
                cluster.ca_file());
  CliResult signup = alice.Run({"signup", "--handle", handle});
  ASSERT_EQ(signup.exit_code, 0) << signup.Describe();

  // The drain and the join happen once each, at seeded steps.
  const int drain_step = uniform(steps / 4, steps / 2);
  const int join_step = uniform(steps / 2 + 1, (3 * steps) / 4);
  std::printf("soak: drain at step %d, join at step %d\n", drain_step, join_step);

  std::vector<SoakObject> objects;
  std::map<int, absl::Time> killed;  // daemon -> when
  int drained = -1;  // daemon index
  std::string drained_id;
  int puts = 0, gets = 0, deletes = 0, restores = 0, kills = 0, restarts = 0;
  const absl::Time soak_start = absl::Now();

  for (int step = 1; step <= steps; ++step) {
    const std::string where = absl::StrCat("[seed ", seed, " step ", step, "] ");
    std::string did;
    const int roll = uniform(0, 99);
    std::vector<int> live, trashed;
    for (int i = 0; i < static_cast<int>(objects.size()); ++i) {
      (objects[i].trashed ? trashed : live).push_back(i);
    }
    // Hosts that hold data and answer: not drained, not killed.
    const int serving = cluster.node_count() - static_cast<int>(killed.size()) - (drained >= 0);

    if (step == drain_step) {
      // The daemon holding the most shards, not a killed one.
      int best = -1;
      size_t most = 0;
      for (int i = 0; i < cluster.node_count(); ++i) {
        if (killed.count(i)) continue;
        const size_t n = ShardFiles(cluster.node_data_dir(i)).size();
        if (best < 0 || n > most) best = i, most = n;
      }
      ASSERT_GE(best, 0);
      drained = best;
      drained_id = NodeIdOf(cluster, best);
      CliResult r = RunAdmin(cluster, {"drain", drained_id}, alice.work_dir());
      ASSERT_EQ(r.exit_code, 0) << where << r.Describe();
      did = absl::StrCat("drain daemon ", best, " (", most, " shard files)");
    } else if (step == join_step) {
      absl::StatusOr<int> added = cluster.AddNode();
      ASSERT_TRUE(added.ok()) << where << added.status();
      did = absl::StrCat("join daemon ", *added);
    } else if (roll < 12 && static_cast<int>(killed.size()) < kMaxDown &&
               serving - 1 >= kMinLiveHosts) {
      std::vector<int> candidates;
      for (int i = 0; i < cluster.node_count(); ++i) {
        if (!killed.count(i) && i != drained) candidates.push_back(i);
      }
      const int victim = candidates[uniform(0, static_cast<int>(candidates.size()) - 1)];
      cluster.KillNode(victim);
      killed[victim] = absl::Now();
      ++kills;
      did = absl::StrCat("kill -9 daemon ", victim);
    } else if (roll < 22 && !killed.empty() &&
               absl::Now() - OldestKill(killed)->second >= kMinDowntime) {
      const auto oldest = OldestKill(killed);
      const int back = oldest->first;
      ASSERT_TRUE(cluster.StartNode(back).ok()) << where << "restart daemon " << back;
      const absl::Duration down = absl::Now() - oldest->second;
      killed.erase(oldest);
      ++restarts;
      did = absl::StrCat("restart daemon ", back, " (down ", absl::FormatDuration(down), ")");
    } else if (roll < 55 || live.empty()) {
      // Sizes: inline (<= 64 KiB), one segment, two or three segments.
      const int kind = uniform(0, 2);
      const size_t size = kind == 0   ? uniform(1, 60 * 1024)
                          : kind == 1 ? uniform(100 * 1024, 900 * 1024)
                                      : uniform(1200 * 1024, 2600 * 1024);
      SoakObject obj;
      obj.name = absl::StrCat("soak-", step);
      obj.bytes = WriteRandomFile(alice.File(obj.name), size, static_cast<uint32_t>(rng()));
      CliResult r = alice.Run({"--json", "put", alice.File(obj.name), "--name", obj.name});
      ASSERT_EQ(r.exit_code, 0) << where << "put " << size << " bytes: " << r.Describe();
      const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
      ASSERT_TRUE(!j.is_discarded() && j.contains("id")) << where << r.Describe();
      obj.id = j["id"].get<std::string>();
      ++puts;
      did = absl::StrCat("put ", obj.name, " ", size, " B -> ", obj.id, " (",
                         j.value("replaced_shards", 0), " shards replaced)");
      objects.push_back(std::move(obj));
    } else if (roll < 80) {
      const bool of_trash = !trashed.empty() && uniform(0, 4) == 0;
      const std::vector<int>& pool = of_trash ? trashed : live;
      SoakObject& obj = objects[pool[uniform(0, static_cast<int>(pool.size()) - 1)]];
      const std::string out = alice.File("got");
      ::unlink(out.c_str());
      CliResult r = alice.Run({"get", obj.id, "-o", out});
      if (obj.trashed) {
        EXPECT_NE(r.exit_code, 0) << where << "a trashed object was readable: " << r.Describe();
      } else {
        ASSERT_EQ(r.exit_code, 0) << where << "get " << obj.name << ": " << r.Describe();
        ASSERT_TRUE(ReadFile(out) == obj.bytes) << where << obj.name << " read back wrong bytes";
      }
      ++gets;
      did = absl::StrCat("get ", obj.name, obj.trashed ? " (trashed: refused)" : " (exact)");
    } else if (roll < 92) {
      SoakObject& obj = objects[live[uniform(0, static_cast<int>(live.size()) - 1)]];
      CliResult r = alice.Run({"rm", obj.id});
      ASSERT_EQ(r.exit_code, 0) << where << "rm " << obj.name << ": " << r.Describe();
      obj.trashed = true;
      obj.trashed_step = step;
      obj.trashed_at = absl::Now();
      ++deletes;
      did = absl::StrCat("rm ", obj.name);
    } else {
      // Restore one trashed recently enough that its window is surely still open.
      std::vector<int> restorable;
      for (int i : trashed) {
        if (absl::Now() - objects[i].trashed_at < kTrashWindow - absl::Seconds(5)) {
          restorable.push_back(i);
        }
      }
      if (restorable.empty()) {
        did = "restore: nothing recent in the trash";
      } else {
        SoakObject& obj = objects[restorable[uniform(0, static_cast<int>(restorable.size()) - 1)]];
        CliResult r = alice.Run({"trash", "restore", obj.id});
        ASSERT_EQ(r.exit_code, 0) << where << "restore " << obj.name << ": " << r.Describe();
        obj.trashed = false;
        ++restores;
        did = absl::StrCat("restore ", obj.name, " (trashed at step ", obj.trashed_step, ")");
      }
    }
    std::printf("soak step %d/%d %s: %s\n", step, steps,
                absl::FormatDuration(absl::Now() - soak_start).c_str(), did.c_str());
    std::fflush(stdout);
  }
  std::printf("soak: %d puts, %d gets, %d deletes, %d restores, %d kills, %d restarts in %s\n",
              puts, gets, deletes, restores, kills, restarts,
              absl::FormatDuration(absl::Now() - soak_start).c_str());
  const std::string at_end = absl::StrCat("[seed ", seed, ", after the steps] ");

  // Every daemon back (the drained one too: it must end empty, not merely absent).
  for (const auto& [i, when] : killed) {
    ASSERT_TRUE(cluster.StartNode(i).ok()) << at_end << "restart " << i;
  }
  killed.clear();
  const int expect_up = cluster.node_count() - (drained >= 0 ? 1 : 0);
  const absl::Time settle_start = absl::Now();
  std::string state;
  bool settled = false;
  while (!settled && absl::Now() - settle_start < absl::Seconds(60)) {
    absl::SleepFor(absl::Milliseconds(500));
    absl::StatusOr<v1::ClusterStatusResponse> st = cluster.Status();
    if (!st.ok()) {
      state = st.status().ToString();
      continue;
    }
    int up = 0;
    v1::NodeState drained_state = v1::NODE_STATE_UNSPECIFIED;
    for (const v1::NodeInfo& n : st->nodes()) {
      up += n.state() == v1::NODE_STATE_UP;
      if (n.node_id() == drained_id) drained_state = n.state();
    }
    const size_t drained_files =
        drained >= 0 ? ShardFiles(cluster.node_data_dir(drained)).size() : 0;
    state = absl::StrCat(up, " nodes up (want ", expect_up, "), drained node ",
                         v1::NodeState_Name(drained_state), " with ", drained_files,
                         " shard files, ", st->segments_degraded(), " segments degraded, ",
                         st->segments_lost(), " lost");
    settled = up == expect_up && st->segments_degraded() == 0 && st->segments_lost() == 0 &&
              (drained < 0 || (drained_state == v1::NODE_STATE_RETIRED && drained_files == 0));
  }
  ASSERT_TRUE(settled) << at_end << "not settled within 60 s: " << state << "; " << replay;
  std::printf("soak: settled %s after the steps: %s\n",
              absl::FormatDuration(absl::Now() - settle_start).c_str(), state.c_str());

  // Every committed object reads back byte-exactly; trashed ones stay unreadable.
  int checked = 0;
  for (const SoakObject& obj : objects) {
    const std::string out = alice.File("final");
    ::unlink(out.c_str());
    CliResult r = alice.Run({"get", obj.id, "-o", out});
    if (obj.trashed) {
      EXPECT_NE(r.exit_code, 0) << at_end << obj.name << " (trashed) readable; " << replay;
      continue;
    }
    ++checked;
    EXPECT_EQ(r.exit_code, 0) << at_end << obj.name << ": " << r.Describe() << replay;
    EXPECT_TRUE(ReadFile(out) == obj.bytes) << at_end << obj.name << " wrong bytes; " << replay;
  }

  // The trash windows pass: no shard of a trashed object on any disk, and every disk
  // holds exactly what the coordinator records (nothing for an orphan sweep to delete).
  absl::Time last_trashed = absl::InfinitePast();
  std::set<std::string> trashed_hex;
  for (const SoakObject& obj : objects) {
    if (!obj.trashed) continue;
    last_trashed = std::max(last_trashed, obj.trashed_at);
    trashed_hex.insert(HexOfUuid(obj.id));
  }
  const absl::Time window_end = last_trashed + kTrashWindow;
  std::string leftover, mismatch;
  int unreferenced = -1;
  const absl::Time clean_deadline = std::max(absl::Now(), window_end) + absl::Seconds(30);
  do {
    absl::SleepFor(absl::Milliseconds(500));
    leftover.clear();
    if (absl::Now() >= window_end) {
      for (int i = 0; i < cluster.node_count() && leftover.empty(); ++i) {
        for (const auto& [key, path] : ShardFiles(cluster.node_data_dir(i))) {
          if (trashed_hex.count(key.substr(0, 32))) {
            leftover = absl::StrCat(key, " on daemon ", i);
            break;
          }
        }
      }
    } else {
      leftover = "window still open";
    }
    mismatch = DisksMatchRecords(cluster, alice.work_dir(), &unreferenced);
  } while ((!leftover.empty() || !mismatch.empty()) && absl::Now() < clean_deadline);
  EXPECT_EQ(leftover, "") << at_end << "a trashed object's shard outlived its window; " << replay;
  EXPECT_EQ(mismatch, "") << at_end << "disks and records differ; " << replay;
  EXPECT_EQ(unreferenced, 0) << at_end << "files the orphan sweep would still delete; " << replay;
  std::printf("soak: %d committed objects read back exactly, %zu trashed gone from every disk; "
              "disks match the records (%d unreferenced files)\n",
              checked, trashed_hex.size(), unreferenced);
}

}  // namespace
}  // namespace freehold::e2e
