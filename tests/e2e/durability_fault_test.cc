// End-to-end durability faults (issue 23's fault-injection tests 2, 8 and 4): real
// daemons on loopback, 4+2 segments of 1 MiB, nodes marked down after 3 s, background
// loops every 500 ms. Each test starts its own cluster with the flags it needs and
// checks the outcome on the daemons' disks and in the coordinator's status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/probes.h"

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

}  // namespace
}  // namespace freehold::e2e
