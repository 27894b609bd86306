// End-to-end durability faults (issue 23's fault-injection tests 2, 8 and 4): real
// daemons on loopback, 4+2 segments of 1 MiB, nodes marked down after 3 s, background
// loops every 500 ms. Each test starts its own cluster with the flags it needs and
// checks the outcome on the daemons' disks and in the coordinator's status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/probes.h"
#include "tests/support/storaged_identity.h"

namespace freehold::e2e {
namespace {

constexpr int kShardsPerSegment = 6;  // k + m = 4 + 2

// A started cluster and one signed-up user.
struct Started {
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<CliUser> alice;
};

absl::StatusOr<Started> StartWithUser(const ClusterOptions& o, const std::string& tag) {
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(o);
  if (!started.ok()) return started.status();
  Started s;
  s.cluster = *std::move(started);
  const std::string handle = absl::StrCat(tag, ::getpid());
  s.alice = std::make_unique<CliUser>(s.cluster->accounts_address(),
                                      s.cluster->coordinator_address(), TestPassword(handle),
                                      s.cluster->ca_file());
  CliResult r = s.alice->Run({"signup", "--handle", handle});
  if (r.exit_code != 0) return absl::InternalError("signup failed: " + r.Describe());
  return s;
}

// Puts `count` random objects (larger than the inline limit, 1-2 segments each);
// returns object id -> bytes.
std::map<std::string, std::string> PutObjects(const CliUser& u, int count, uint32_t seed) {
  std::map<std::string, std::string> data;
  for (int i = 0; i < count; ++i) {
    const std::string name = absl::StrCat("obj", seed, "-", i);
    const std::string bytes =
        WriteRandomFile(u.File(name), 200 * 1024 + (i % 3) * 600 * 1024 + i, seed + i);
    CliResult put = u.Run({"--json", "put", u.File(name), "--name", name});
    EXPECT_EQ(put.exit_code, 0) << put.Describe();
    if (put.exit_code != 0) continue;
    data[nlohmann::json::parse(put.out)["id"].get<std::string>()] = bytes;
  }
  return data;
}

// Every object reads back byte-exactly.
void ExpectAllReadable(const CliUser& u, const std::map<std::string, std::string>& data,
                       const std::string& when) {
  for (const auto& [id, bytes] : data) {
    const std::string out = u.File(absl::StrCat("back-", id));
    ::unlink(out.c_str());
    CliResult got = u.Run({"get", id, "-o", out});
    EXPECT_EQ(got.exit_code, 0) << when << ": " << id << " unreadable: " << got.Describe();
    EXPECT_TRUE(ReadFile(out) == bytes) << when << ": " << id << " read back wrong bytes";
  }
}

// Shard key -> the nodes whose disks hold it (`.corrupt` quarantined files excluded).
std::map<std::string, std::vector<int>> ShardHolders(const Cluster& c) {
  std::map<std::string, std::vector<int>> holders;
  for (int n = 0; n < c.node_count(); ++n) {
    for (const auto& [key, path] : ShardFiles(c.node_data_dir(n))) {
      if (path.find(".corrupt") != std::string::npos) continue;
      holders[key].push_back(n);
    }
  }
  return holders;
}

// The shard keys of `data`'s objects (those starting with an object's hex id).
std::set<std::string> KeysOf(const std::map<std::string, std::vector<int>>& holders,
                             const std::map<std::string, std::string>& data) {
  std::set<std::string> hex;
  for (const auto& [id, bytes] : data) hex.insert(HexOfUuid(id));
  std::set<std::string> keys;
  for (const auto& [key, nodes] : holders) {
    if (hex.count(key.substr(0, 32))) keys.insert(key);
  }
  return keys;
}

// Test 2: m = 2 daemons killed at once. Everything stays readable; while they stay
// away repair brings every segment back to k+m healthy shards on the live daemons;
// when they return, their stale copies are removed (deletion queue or orphan sweep) so
// that every shard key is on exactly one disk again.
TEST(DurabilityFaultTest, TwoDaemonsKilledAtOnceRepairedAndNotDuplicatedOnReturn) {
  ClusterOptions o;
  o.storage_nodes = 8;  // k+m plus two spare hosts: full redundancy without the two
  o.zones = 4;
  o.coordinator_args = {"--repair-after", "1s", "--orphan-sweep-interval", "2s"};
  o.storaged_args = {"--orphan-grace", "3s"};
  absl::StatusOr<Started> setup = StartWithUser(o, "two");
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;

  const std::map<std::string, std::string> data = PutObjects(alice, 6, 200);
  ASSERT_EQ(data.size(), 6u);
  const std::map<std::string, std::vector<int>> before = ShardHolders(cluster);
  const std::set<std::string> keys = KeysOf(before, data);
  ASSERT_EQ(keys.size() % kShardsPerSegment, 0u) << "a segment without all its shards";
  ASSERT_GE(keys.size(), 6u * kShardsPerSegment);
  for (const std::string& k : keys) ASSERT_EQ(before.at(k).size(), 1u) << k;

  // Two daemons in different zones, both holding shards, killed at once.
  const int a = 1, b = 2;
  int lost_copies = 0;
  for (const std::string& k : keys) {
    if (before.at(k)[0] == a || before.at(k)[0] == b) ++lost_copies;
  }
  ASSERT_GT(lost_copies, 0);
  cluster.KillNode(a);
  cluster.KillNode(b);
  // Readable before and after the coordinator notices.
  ExpectAllReadable(alice, data, "right after the kill");
  ASSERT_TRUE(cluster.WaitForNodesUp(6, absl::Seconds(30)).ok());
  const absl::Time down_at = absl::Now();

  // Repair: every key back on a live daemon, and the coordinator agrees.
  bool repaired = false;
  absl::StatusOr<v1::ClusterStatusResponse> st;
  std::string missing;
  while (!repaired && absl::Now() - down_at < absl::Seconds(60)) {
    absl::SleepFor(absl::Milliseconds(500));
    st = cluster.Status();
    if (!st.ok() || st->segments_degraded() != 0) continue;
    const std::map<std::string, std::vector<int>> now = ShardHolders(cluster);
    missing.clear();
    for (const std::string& k : keys) {
      bool live = false;
      auto it = now.find(k);
      if (it != now.end()) {
        for (int n : it->second) live = live || (n != a && n != b);
      }
      if (!live) missing = k;
    }
    repaired = missing.empty();
  }
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_TRUE(repaired) << "not repaired within 60 s: degraded=" << st->segments_degraded()
                        << " (a key without a live copy: " << missing << ")";
  EXPECT_EQ(st->segments_lost(), 0u);
  std::printf("%d shard copies on 2 killed daemons re-created %s after they were marked down\n",
              lost_copies, absl::FormatDuration(absl::Now() - down_at).c_str());
  ExpectAllReadable(alice, data, "after repair, two daemons away");

  // They return: their now-unreferenced copies go, nothing is duplicated.
  ASSERT_TRUE(cluster.StartNode(a).ok());
  ASSERT_TRUE(cluster.StartNode(b).ok());
  ASSERT_TRUE(cluster.WaitForNodesUp(8, absl::Seconds(30)).ok());
  const absl::Time back_at = absl::Now();
  // The returning daemons still hold their old copies (proves there was something to remove).
  int stale = 0;
  for (const auto& [key, nodes] : ShardHolders(cluster)) {
    if (keys.count(key) && nodes.size() > 1) ++stale;
  }
  std::string duplicated;
  do {
    absl::SleepFor(absl::Milliseconds(500));
    const std::map<std::string, std::vector<int>> now = ShardHolders(cluster);
    duplicated.clear();
    for (const std::string& k : keys) {
      auto it = now.find(k);
      if (it == now.end()) {
        duplicated = k + " (gone everywhere)";
      } else if (it->second.size() != 1) {
        duplicated = absl::StrCat(k, " on ", it->second.size(), " disks");
      }
    }
    // No key of another object appeared either.
    if (KeysOf(now, data).size() != keys.size()) duplicated = "unexpected new keys";
  } while (!duplicated.empty() && absl::Now() - back_at < absl::Seconds(45));
  EXPECT_EQ(duplicated, "") << "stale copies of the returned daemons were not removed";
  std::printf("%d keys on two disks when the daemons returned; one copy each %s later\n",
              stale, absl::FormatDuration(absl::Now() - back_at).c_str());
  st = cluster.Status();
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->segments_degraded(), 0u);
  EXPECT_EQ(st->segments_lost(), 0u);
  ExpectAllReadable(alice, data, "after the two daemons returned");
}


// Segment ("<hex>-<segment>") -> for each of its shard keys the daemons holding it.
std::map<std::string, std::map<std::string, std::vector<int>>> BySegment(
    const std::map<std::string, std::vector<int>>& holders, const std::set<std::string>& keys) {
  std::map<std::string, std::map<std::string, std::vector<int>>> out;
  for (const std::string& k : keys) {
    auto it = holders.find(k);
    out[k.substr(0, k.rfind('-'))][k] = it == holders.end() ? std::vector<int>{} : it->second;
  }
  return out;
}

// Issue 23, exactly k+m failure domains: six daemons (one host each) for 4+2, one killed
// while the coordinator still counts it up. A put told not to move a failed shard
// elsewhere (--shard-tries 1) stores five shards per segment and commits them (a notice
// says so, freehold_segments_committed_degraded_total counts them); repair rebuilds the
// sixth at once on a host that already holds one (no unused domain is up); when the
// daemon is back, that doubled shard is re-spread onto it, so each segment ends on six
// distinct daemons with one copy per key. Every object reads back byte-exactly throughout.
TEST(DurabilityFaultTest, APutWithOneOfSixDaemonsDeadCommitsFiveShardsAndIsRepairedAndReSpread) {
  ClusterOptions o;  // six daemons, each its own host
  o.node_down_after = "60s";  // the dead daemon keeps being placed on: its shards fail
  absl::StatusOr<Started> setup = StartWithUser(o, "five");
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;
  const std::map<std::string, std::string> before = PutObjects(alice, 2, 400);
  ASSERT_EQ(before.size(), 2u);

  const int dead = 3;
  cluster.KillNode(dead);
  std::map<std::string, std::string> data;
  int degraded_segments = 0;
  for (int i = 0; i < 4; ++i) {
    const std::string name = absl::StrCat("five-", i);
    const std::string bytes =
        WriteRandomFile(alice.File(name), 300 * 1024 + i * 700 * 1024 + i, 500 + i);
    CliResult put =
        alice.Run({"--json", "put", alice.File(name), "--name", name, "--shard-tries", "1"});
    ASSERT_EQ(put.exit_code, 0) << put.Describe();
    const nlohmann::json j = nlohmann::json::parse(put.out);
    // Every segment has a shard on each of the six daemons, so each one is degraded.
    EXPECT_EQ(j["degraded_segments"].get<int>(), j["segments"].get<int>()) << put.Describe();
    EXPECT_THAT(put.err, ::testing::HasSubstr("stored 5 of 6 shards")) << put.Describe();
    degraded_segments += j["degraded_segments"].get<int>();
    data[j["id"].get<std::string>()] = bytes;
  }
  ASSERT_GE(degraded_segments, 4);
  EXPECT_EQ(MetricSum(cluster.coordinator_metrics_address(),
                      "freehold_segments_committed_degraded_total", "", alice.work_dir()),
            static_cast<double>(degraded_segments));
  ExpectAllReadable(alice, data, "committed with five shards");

  // Repaired at once to six healthy shards, the sixth beside another on a live daemon.
  const absl::Time committed = absl::Now();
  absl::StatusOr<v1::ClusterStatusResponse> st;
  do {
    absl::SleepFor(absl::Milliseconds(300));
    st = cluster.Status();
  } while ((!st.ok() || st->segments_degraded() != 0) &&
           absl::Now() - committed < absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_EQ(st->segments_degraded(), 0u) << "the missing shards were not repaired";
  std::printf("%d segments committed with 5 of 6 shards, all 6 healthy %s later\n",
              degraded_segments, absl::FormatDuration(absl::Now() - committed).c_str());
  std::map<std::string, std::string> all = data;
  all.insert(before.begin(), before.end());
  const std::set<std::string> keys = KeysOf(ShardHolders(cluster), all);
  ASSERT_EQ(keys.size() % kShardsPerSegment, 0u);
  std::set<std::string> degraded_hex;
  for (const auto& [id, bytes] : data) degraded_hex.insert(HexOfUuid(id));
  for (const auto& [segment, holders] : BySegment(ShardHolders(cluster), keys)) {
    if (!degraded_hex.count(segment.substr(0, 32))) continue;  // stored before the kill
    std::set<int> daemons;
    for (const auto& [key, on] : holders) {
      for (int n : on) {
        if (n != dead) daemons.insert(n);
      }
    }
    EXPECT_EQ(daemons.size(), 5u) << segment << ": six shards on the five live daemons";
  }
  ExpectAllReadable(alice, all, "repaired, one daemon dead");

  // The daemon is back: the doubled shards move onto it, the old copies are deleted.
  ASSERT_TRUE(cluster.StartNode(dead).ok());
  const absl::Time back = absl::Now();
  std::string shared;
  do {
    absl::SleepFor(absl::Milliseconds(500));
    shared.clear();
    for (const auto& [segment, holders] : BySegment(ShardHolders(cluster), keys)) {
      std::set<int> daemons;
      for (const auto& [key, on] : holders) {
        if (on.size() != 1) shared = absl::StrCat(key, " on ", on.size(), " disks");
        if (!on.empty()) daemons.insert(on[0]);
      }
      if (daemons.size() != kShardsPerSegment) {
        shared = absl::StrCat(segment, " on ", daemons.size(), " daemons");
      }
    }
  } while (!shared.empty() && absl::Now() - back < absl::Seconds(45));
  EXPECT_EQ(shared, "") << "doubled shards were not re-spread onto the returning daemon";
  std::printf("re-spread onto the returning daemon %s after its restart\n",
              absl::FormatDuration(absl::Now() - back).c_str());
  st = cluster.Status();
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->segments_degraded(), 0u);
  EXPECT_EQ(st->segments_lost(), 0u);
  ExpectAllReadable(alice, all, "after the re-spread");
}

// The shard keys the coordinator records as `state` (2 healthy) on `node_id` (psql on
// the cluster's database).
std::set<std::string> RecordedKeys(const Cluster& c, const std::string& node_id,
                                   const std::string& scratch, int state = 2) {
  CliResult r = RunTool("/usr/bin/psql",
                        {c.database_url(), "-At", "-c",
                         absl::StrCat("SELECT replace(object_id::text, '-', '') || '-' || segment "
                                      "|| '-' || shard_index FROM coordinator.shards WHERE "
                                      "node_id = '",
                                      node_id, "' AND state = ", state)},
                        scratch);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  std::set<std::string> keys;
  size_t start = 0;
  while (start < r.out.size()) {
    size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    if (end > start) keys.insert(r.out.substr(start, end - start));
    start = end + 1;
  }
  return keys;
}

// Names in a directory (non-recursive), "." and ".." excluded.
std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* h = ::opendir(dir.c_str());
  if (h == nullptr) return names;
  while (dirent* e = ::readdir(h)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(h);
  return names;
}

// Unmounts the small filesystem under a daemon's data dir when the test ends (the
// daemon stopped first), before the cluster removes its directory.
struct TmpfsUnder {
  Cluster* cluster = nullptr;
  int node = -1;
  std::string dir;
  ~TmpfsUnder() {
    if (cluster == nullptr) return;
    (void)cluster->StopNode(node);
    ::umount2(dir.c_str(), MNT_DETACH);
  }
};

// Test 8: one daemon's disk fills up: its data dir on a 64 MiB tmpfs (every daemon
// offers 64 MiB, so placement weighs it like the others) that something else has filled
// up to its last 2.5 MiB, 1 MiB of which the daemon keeps in reserve. Every put either succeeds (the refused shard moved to another node) or
// fails naming the problem; the daemon refuses for lack of space with a clear message;
// nothing half-written remains on its disk (no temp file, no shard file whose bytes do
// not match the hash in its name, no file the coordinator did not record) and the
// coordinator records no shard there that is not on its disk.
TEST(DurabilityFaultTest, AFullDiskIsAvoidedAndLeavesNothingHalfWritten) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  ClusterOptions o;
  o.storage_nodes = 7;  // k+m plus one spare host to take what the full one refuses
  o.zones = 4;
  o.node_capacity_bytes = 64ull << 20;
  o.coordinator_args = {"--audits=false"};
  absl::StatusOr<Started> started = StartWithUser(o, "full");
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = *started->cluster;
  CliUser& alice = *started->alice;

  const int full = 3;
  const std::string dd = cluster.node_data_dir(full);
  absl::StatusOr<testing::StoragedIdentity> identity = testing::PrintStoragedIdentity(dd);
  ASSERT_TRUE(identity.ok()) << identity.status();
  ASSERT_TRUE(cluster.StopNode(full).ok());
  ASSERT_EQ(::rename(dd.c_str(), (dd + ".orig").c_str()), 0);
  ASSERT_EQ(::mkdir(dd.c_str(), 0700), 0);
  ASSERT_EQ(::mount("tmpfs", dd.c_str(), "tmpfs", 0, "size=64m,mode=0700"), 0)
      << "mount tmpfs: " << std::strerror(errno);
  TmpfsUnder unmount{&cluster, full, dd};
  CliResult copy = RunTool("/bin/cp", {"-a", dd + ".orig/.", dd + "/"}, alice.work_dir());
  ASSERT_EQ(copy.exit_code, 0) << copy.Describe();
  {
    // Another tenant of the disk fills it.
    struct statvfs vfs;
    ASSERT_EQ(::statvfs(dd.c_str(), &vfs), 0);
    const uint64_t available = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    ASSERT_GT(available, 5ull << 20);
    WriteRandomFile(dd + "/filler", available - (5ull << 19), 7);
  }
  ASSERT_TRUE(cluster.StartNode(full).ok());
  ASSERT_TRUE(cluster.WaitForNodesUp(7, absl::Seconds(30)).ok());

  // 2-segment objects: about 12 shards of ~256 KiB each, some for the full daemon.
  std::map<std::string, std::string> data;
  int failed = 0, replaced = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string name = absl::StrCat("big", i);
    const std::string bytes = WriteRandomFile(alice.File(name), 1536 * 1024 + i, 800 + i);
    CliResult put = alice.Run({"--json", "put", alice.File(name), "--name", name});
    if (put.exit_code == 0) {
      const nlohmann::json j = nlohmann::json::parse(put.out);
      data[j["id"].get<std::string>()] = bytes;
      replaced += j.value("replaced_shards", 0);
    } else {
      ++failed;
      // A failed put names the problem.
      EXPECT_TRUE(put.err.find("not enough space") != std::string::npos ||
                  put.err.find("could not be stored") != std::string::npos)
          << put.Describe();
    }
  }
  // With a spare node every put succeeds: the coordinator stops placing on the full
  // daemon once its heartbeat reports too little free space, and a shard it refuses in
  // between (RESOURCE_EXHAUSTED) is moved to another node by the CLI.
  EXPECT_EQ(data.size(), 8u) << failed << " puts failed with a spare node available";

  // Nothing half-written on the full daemon.
  EXPECT_THAT(DirEntries(dd + "/tmp"), ::testing::IsEmpty()) << "temp files left behind";
  const std::map<std::string, std::string> files = ShardFiles(dd);
  {
    struct statvfs vfs;
    ASSERT_EQ(::statvfs(dd.c_str(), &vfs), 0);
    const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    std::printf("8 puts: %zu stored, %d failed, %d shards moved off the full daemon, which "
                "holds %zu shards and has %llu bytes free\n",
                data.size(), failed, replaced, files.size(),
                static_cast<unsigned long long>(free_bytes));
    // Filled up to its reserve (1 MiB), and not into it.
    EXPECT_GE(free_bytes, 1ull << 20);
    EXPECT_LT(free_bytes, (1ull << 20) + (512ull << 10));
  }
  ASSERT_FALSE(files.empty()) << "the full daemon stored nothing; the test proves nothing";
  for (const auto& [key, path] : files) {
    CliResult sum = RunTool("/usr/bin/sha256sum", {path}, alice.work_dir());
    ASSERT_EQ(sum.exit_code, 0) << sum.Describe();
    const std::string hex = sum.out.substr(0, 64);
    EXPECT_NE(path.find(hex), std::string::npos) << "partial or wrong shard file " << path;
  }
  // The coordinator knows it is full (from its heartbeats).
  absl::StatusOr<v1::ClusterStatusResponse> st = cluster.Status();
  ASSERT_TRUE(st.ok()) << st.status();
  bool seen = false;
  for (const v1::NodeInfo& n : st->nodes()) {
    if (n.node_id() != identity->node_id) continue;
    seen = true;
    EXPECT_LT(n.free_bytes(), 512u << 10) << "the coordinator thinks the full daemon has room";
  }
  EXPECT_TRUE(seen);
  // Disk and coordinator agree: the refused shards are recorded on other nodes.
  std::set<std::string> on_disk;
  for (const auto& [key, path] : files) on_disk.insert(key);
  const std::set<std::string> recorded = RecordedKeys(cluster, identity->node_id, alice.work_dir());
  EXPECT_EQ(recorded, on_disk) << "the coordinator's record of the full daemon differs from its disk";
  EXPECT_THAT(RecordedKeys(cluster, identity->node_id, alice.work_dir(), 1), ::testing::IsEmpty())
      << "pending shards left on the full daemon";

  ExpectAllReadable(alice, data, "with one daemon's disk full");
}


// Test 4: a daemon that keeps answering but has silently lost half its shard files
// (deleted behind its back while it runs; the inventory check is off, so only audits
// can find it). Fast forgetting (lambda 0.8) and a threshold of 0.7 so that a handful
// of failed audits count. Audits fail on it, its reputation falls below the threshold, it is
// suspended and drained automatically; nothing is lost: every object reads back and
// every segment is back to k+m healthy shards, none recorded on the bad daemon.
TEST(DurabilityFaultTest, ADaemonThatSilentlyLostHalfItsShardsIsAuditedAndDrained) {
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  o.coordinator_args = {"--inventory-check-interval", "0s",
                        "--audit-period", "10s",
                        "--audits-per-second", "60",
                        "--audits-per-node-per-second", "20",
                        "--reputation-lambda", "0.8",
                        "--reputation-threshold", "0.7",
                        "--suspended-drain-after", "1s",
                        "--repair-after", "1s"};
  absl::StatusOr<Started> started = StartWithUser(o, "lost");
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = *started->cluster;
  CliUser& alice = *started->alice;
  const std::map<std::string, std::string> data = PutObjects(alice, 10, 400);
  ASSERT_EQ(data.size(), 10u);

  const int bad = 4;
  absl::StatusOr<testing::StoragedIdentity> identity =
      testing::PrintStoragedIdentity(cluster.node_data_dir(bad));
  ASSERT_TRUE(identity.ok()) << identity.status();
  const std::map<std::string, std::string> files = ShardFiles(cluster.node_data_dir(bad));
  ASSERT_GE(files.size(), 4u);
  int deleted = 0;
  for (const auto& [key, path] : files) {
    if (deleted * 2 < static_cast<int>(files.size()) - 1) {
      ASSERT_EQ(::unlink(path.c_str()), 0) << path;
      ++deleted;
    }
  }
  ASSERT_TRUE(cluster.NodeRunning(bad));
  const absl::Time lost_at = absl::Now();
  const std::string metrics = cluster.coordinator_metrics_address();
  const std::string node_label = absl::StrCat("node=\"", identity->node_id, "\"");

  // Found by audits, reputation below threshold, suspended; then drained empty.
  double failed = 0, reputation = 1, suspended = 0;
  bool drained = false;
  v1::NodeState state = v1::NODE_STATE_UNSPECIFIED;
  while (absl::Now() - lost_at < absl::Seconds(60) && !drained) {
    absl::SleepFor(absl::Milliseconds(500));
    failed = MetricSum(metrics, "freehold_audits_total",
                       absl::StrCat(node_label, ",result=\"failed\""), alice.work_dir());
    reputation = std::min(reputation, MetricSum(metrics, "freehold_node_reputation", node_label,
                                                alice.work_dir()));
    suspended = std::max(suspended, MetricSum(metrics, "freehold_node_suspended", node_label,
                                              alice.work_dir()));
    absl::StatusOr<v1::ClusterStatusResponse> st = cluster.Status();
    if (!st.ok()) continue;
    for (const v1::NodeInfo& n : st->nodes()) {
      if (n.node_id() == identity->node_id) state = n.state();
    }
    drained = state != v1::NODE_STATE_UP && st->segments_degraded() == 0 &&
              RecordedKeys(cluster, identity->node_id, alice.work_dir()).empty();
  }
  std::printf("deleted %d of %zu shard files; failed audits %.0f, lowest reputation %.2f, "
              "state %s after %s\n",
              deleted, files.size(), failed, reputation, v1::NodeState_Name(state).c_str(),
              absl::FormatDuration(absl::Now() - lost_at).c_str());
  EXPECT_LT(reputation, 0.7) << "reputation did not fall below the threshold";
  EXPECT_EQ(suspended, 1) << "the node was never suspended";
  EXPECT_TRUE(drained) << "the node was not drained within 60 s (state "
                       << v1::NodeState_Name(state) << ")";
  absl::StatusOr<v1::ClusterStatusResponse> st = cluster.Status();
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->segments_lost(), 0u);
  EXPECT_EQ(st->segments_degraded(), 0u);
  ExpectAllReadable(alice, data, "after the drain");
}

}  // namespace
}  // namespace freehold::e2e
