// End-to-end: a storage daemon loses its shard files but keeps its identity (its disk
// was replaced: files deleted, daemon restarted). The coordinator must notice from the
// heartbeat's inventory (count + digest), list the node's keys, mark what it lost
// MISSING and repair it, so that the data survives two more daemons going down.
// Seven daemons (k+m = 6 plus a spare host), 4 zones, inventory checked every second.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/probes.h"

namespace freehold::e2e {
namespace {

// It was disabled on main: it failed when the victim was restarted before the leader's
// inventory pass (every second) had seen its non-empty report; the restarted daemon's
// empty report equalled the one found consistent at start and was skipped. Each
// registration now advances the node's inventory epoch (InventoryReconciler::NodeRegistered).
TEST(InventoryE2eTest, ANodeThatLostItsShardFilesIsNoticedAndRepaired) {
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  // Audits off: they would find the lost shards too (one at a time), and this test is
  // about the inventory check finding them all at once.
  o.coordinator_args = {"--inventory-check-interval", "1s", "--audits=false"};
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;
  CliUser alice(cluster.accounts_address(), cluster.coordinator_address(), "correct horse inv",
                cluster.ca_file());
  CliResult signup = alice.Run({"signup", "--handle", absl::StrCat("inv", ::getpid())});
  ASSERT_EQ(signup.exit_code, 0) << signup.Describe();

  std::map<std::string, std::string> data;  // object id -> bytes
  for (int i = 0; i < 4; ++i) {
    const std::string name = absl::StrCat("f", i);
    const std::string bytes = WriteRandomFile(alice.File(name), 200 * 1024 + i, 40 + i);
    CliResult put = alice.Run({"--json", "put", alice.File(name), "--name", name});
    ASSERT_EQ(put.exit_code, 0) << put.Describe();
    data[nlohmann::json::parse(put.out)["id"].get<std::string>()] = bytes;
  }
  // Which nodes hold a shard of which object (from the disks).
  std::vector<std::set<std::string>> holds(7);  // node -> object hex ids
  for (int n = 0; n < 7; ++n) {
    for (const auto& [key, path] : ShardFiles(cluster.node_data_dir(n))) {
      holds[n].insert(key.substr(0, 32));
    }
  }
  // A victim and two others that all hold shards of one object: without repair of the
  // victim's lost shards, that object has only 3 of 6 shards once the two are down.
  int victim = -1, a = -1, b = -1;
  std::string target;
  for (int v = 0; v < 7 && victim < 0; ++v) {
    for (int x = 0; x < 7 && victim < 0; ++x) {
      for (int y = x + 1; y < 7 && victim < 0; ++y) {
        if (x == v || y == v) continue;
        for (const auto& [id, bytes] : data) {
          const std::string hex = HexOfUuid(id);
          if (holds[v].count(hex) && holds[x].count(hex) && holds[y].count(hex)) {
            victim = v, a = x, b = y, target = id;
            break;
          }
        }
      }
    }
  }
  ASSERT_GE(victim, 0) << "no object spans three nodes (cannot happen with 6 of 7)";

  // The disk is replaced: every shard file gone, the identity kept.
  ASSERT_TRUE(cluster.StopNode(victim).ok());
  const std::map<std::string, std::string> lost = ShardFiles(cluster.node_data_dir(victim));
  ASSERT_FALSE(lost.empty());
  for (const auto& [key, path] : lost) ASSERT_EQ(::unlink(path.c_str()), 0) << path;
  ASSERT_TRUE(cluster.StartNode(victim).ok());
  const absl::Time restarted = absl::Now();

  // Noticed (shards marked missing) and repaired (no degraded segment) in bounded time.
  bool noticed = false, repaired = false;
  while (absl::Now() - restarted < absl::Seconds(40) && !(noticed && repaired)) {
    absl::SleepFor(absl::Milliseconds(250));
    noticed = noticed || MetricSum(cluster.coordinator_metrics_address(),
                                   "freehold_inventory_missing_shards_total", "",
                                   alice.work_dir()) >= static_cast<double>(lost.size());
    if (!noticed) continue;
    absl::StatusOr<v1::ClusterStatusResponse> st = cluster.Status();
    repaired = st.ok() && st->segments_degraded() == 0;
  }
  EXPECT_TRUE(noticed) << "the coordinator never marked the lost shards missing";
  EXPECT_TRUE(repaired) << "redundancy was not restored";
  std::printf("lost %zu shards; noticed and repaired %s after the restart\n", lost.size(),
              absl::FormatDuration(absl::Now() - restarted).c_str());

  // Two other holders go down: everything still reads back, byte for byte.
  ASSERT_TRUE(cluster.StopNode(a).ok());
  ASSERT_TRUE(cluster.StopNode(b).ok());
  ASSERT_TRUE(cluster.WaitForNodesUp(5, absl::Seconds(30)).ok());
  for (const auto& [id, bytes] : data) {
    const std::string out = alice.File("back-" + id);
    CliResult got = alice.Run({"get", id, "-o", out});
    EXPECT_EQ(got.exit_code, 0) << (id == target ? "(the object spanning all three) " : "")
                                << got.Describe();
    EXPECT_TRUE(ReadFile(out) == bytes) << id;
  }
}

}  // namespace
}  // namespace freehold::e2e
