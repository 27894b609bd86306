// End-to-end durability faults, second part (issue 23's fault-injection tests 1, 3, 5,
// 6 and 7): real processes on loopback, 4+2 segments of 1 MiB, nodes marked down after
// 3 s, background loops every 500 ms. Each test starts its own cluster with the flags
// it needs (smaller object counts than the "several hundred": a few dozen
// objects, so that each test stays within about a minute) and checks the outcome on the
// daemons' disks, in the coordinator's database and through the CLI.
//
//  1. kill -9 one daemon of six: everything stays readable; repair restores k+m healthy
//     shards per segment; the time from the kill to full redundancy is printed; when the
//     daemon returns, its stale copies go (no key on two disks).
//  3. bytes flipped in shard files: reads return the right bytes; audits find every
//     flipped shard within the configured --audit-period; repair rewrites each with
//     its original bytes.
//  5. drain under traffic: every shard leaves the node (no record names it) and its disk
//     (empty when it is retired), every read during the drain returns the right bytes,
//     bytes moved are within 1.05x of what the node held, every disk ends holding exactly
//     what is recorded.
//  6. the leading coordinator replica killed in the middle of a repair and of a drain:
//     the other replica takes over and finishes; no segment lost, none with two shards
//     on one node, no key on two disks.
//  7. PostgreSQL restarted during uploads, a repair and a drain: the services recover by
//     themselves, failed calls fail UNAVAILABLE (CLI exit 5), the repair and the drain
//     finish (the failed uploads' pending shards on the drained node do not hold it),
//     nothing committed is lost, no segment has two shards on one node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/signed_token.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/fleet_checks.h"
#include "tests/e2e/probes.h"
#include "tests/support/process.h"
#include "tests/support/restartable_postgres.h"

namespace freehold::e2e {
namespace {

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

// Puts `count` random files in one command (4 at a time), sizes from `min_size` up to
// `min_size + spread` (all above the inline limit: sharded); returns object id -> bytes.
std::map<std::string, std::string> PutMany(const CliUser& u, int count, size_t min_size,
                                           size_t spread, const std::string& tag) {
  std::map<std::string, std::string> by_name;
  std::vector<std::string> args = {"--json", "put", "--concurrency", "4"};
  for (int i = 0; i < count; ++i) {
    const std::string name = absl::StrCat(tag, "-", i);
    by_name[name] = WriteRandomFile(u.File(name), min_size + (static_cast<size_t>(i) * 7919) % spread,
                                    static_cast<uint32_t>(std::hash<std::string>()(name)));
    args.push_back(u.File(name));
  }
  CliResult put = u.Run(args, {}, absl::Seconds(180));
  EXPECT_EQ(put.exit_code, 0) << put.Describe();
  std::map<std::string, std::string> data;
  const nlohmann::json j = nlohmann::json::parse(put.out, nullptr, false);
  if (j.is_discarded() || !j.contains("stored")) {
    ADD_FAILURE() << "no stored list: " << put.Describe();
    return data;
  }
  for (const nlohmann::json& s : j["stored"]) {
    data[s["id"].get<std::string>()] = by_name[s["name"].get<std::string>()];
  }
  EXPECT_EQ(data.size(), static_cast<size_t>(count));
  return data;
}

// Gets every object in one command into a fresh directory and compares the bytes:
// "" when all read back exactly, else what went wrong.
std::string ReadAllBack(const CliUser& u, const std::map<std::string, std::string>& data,
                        const std::string& tag) {
  if (data.empty()) return "";
  const std::string dir = u.File(absl::StrCat("back-", tag));
  ::mkdir(dir.c_str(), 0700);
  std::vector<std::string> args = {"--json", "get", "--concurrency", "4", "-o", dir};
  for (const auto& [id, bytes] : data) args.push_back(id);
  CliResult got = u.Run(args, {}, absl::Seconds(180));
  if (got.exit_code != 0) return absl::StrCat(tag, ": get failed: ", got.Describe());
  const nlohmann::json j = nlohmann::json::parse(got.out, nullptr, false);
  if (j.is_discarded() || !j.contains("saved")) return absl::StrCat(tag, ": ", got.Describe());
  std::set<std::string> seen;
  for (const nlohmann::json& s : j["saved"]) {
    const std::string id = s["id"].get<std::string>();
    auto it = data.find(id);
    if (it == data.end()) continue;
    if (ReadFile(s["output"].get<std::string>()) != it->second) {
      return absl::StrCat(tag, ": ", id, " read back wrong bytes");
    }
    seen.insert(id);
  }
  if (seen.size() != data.size()) {
    return absl::StrCat(tag, ": ", data.size() - seen.size(), " objects not saved");
  }
  return "";
}

// Polls `check` (returns "" when satisfied, else the state) every 250 ms up to `bound`;
// returns its last answer. Prints the state every 5 s while waiting.
std::string WaitFor(absl::Duration bound, const std::function<std::string()>& check) {
  const absl::Time start = absl::Now();
  absl::Time printed = start;
  std::string last = check();
  while (!last.empty() && absl::Now() - start < bound) {
    absl::SleepFor(absl::Milliseconds(250));
    last = check();
    if (!last.empty() && absl::Now() - printed > absl::Seconds(5)) {
      printed = absl::Now();
      std::printf("  waiting %.0f s: %s\n", absl::ToDoubleSeconds(printed - start), last.c_str());
      std::fflush(stdout);
    }
  }
  return last;
}

// "" when no segment is degraded or lost (ClusterStatus), else the counts.
std::string FullRedundancy(const Cluster& c) {
  absl::StatusOr<v1::ClusterStatusResponse> st = c.Status();
  if (!st.ok()) return st.status().ToString();
  if (st->segments_degraded() == 0 && st->segments_lost() == 0) return "";
  return absl::StrCat(st->segments_degraded(), " segments degraded, ", st->segments_lost(),
                      " lost");
}

// The state the coordinator reports for a node.
v1::NodeState StateOf(const Cluster& c, const std::string& node_id) {
  absl::StatusOr<v1::ClusterStatusResponse> st = c.Status();
  if (!st.ok()) return v1::NODE_STATE_UNSPECIFIED;
  for (const v1::NodeInfo& n : st->nodes()) {
    if (n.node_id() == node_id) return n.state();
  }
  return v1::NODE_STATE_UNSPECIFIED;
}

// Shard records on `node_id`.
int RecordedOn(const Cluster& c, const std::string& node_id, const std::string& scratch) {
  absl::StatusOr<std::vector<RecordedShard>> rows = RecordedShards(c, scratch);
  if (!rows.ok()) return -1;
  int n = 0;
  for (const RecordedShard& s : *rows) n += s.node_id == node_id;
  return n;
}

// "" unless some segment has two healthy shards recorded on one node (double placement;
// the pending shards of an upload that never committed are not placed data).
std::string DoublePlaced(const Cluster& c, const std::string& scratch) {
  absl::StatusOr<std::vector<RecordedShard>> rows = RecordedShards(c, scratch);
  if (!rows.ok()) return rows.status().ToString();
  std::map<std::string, int> per_segment_node;  // "<object hex>-<segment> <node>" -> shards
  for (const RecordedShard& s : *rows) {
    if (s.state != 2) continue;
    const std::string segment = s.key.substr(0, s.key.rfind('-'));
    if (++per_segment_node[segment + " " + s.node_id] > 1) {
      return absl::StrCat("segment ", segment, " has two shards on node ", s.node_id);
    }
  }
  return "";
}

// The daemon holding the most shard bytes; those bytes in *bytes.
int FullestDaemon(const Cluster& c, uint64_t* bytes) {
  int best = -1;
  uint64_t most = 0;
  for (int i = 0; i < c.node_count(); ++i) {
    uint64_t sum = 0;
    for (const auto& [key, path] : ShardFiles(c.node_data_dir(i))) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) sum += static_cast<uint64_t>(st.st_size);
    }
    if (best < 0 || sum > most) best = i, most = sum;
  }
  *bytes = most;
  return best;
}

// The coordinator's log (warnings and errors) for a failure message.
void PrintLogTail(const Cluster& c, const std::string& scratch) {
  CliResult tail = RunTool("/usr/bin/tail", {"-n", "60", c.dir() + "/coordinator.log"}, scratch);
  std::printf("--- coordinator.log (last 60 lines) ---\n%s---\n", tail.out.c_str());
}

// The daemon the coordinator records the most shards on (stale copies on a returned
// daemon's disk do not count).
int MostRecorded(const Cluster& c, const std::string& scratch) {
  int best = 0, most = -1;
  for (int i = 0; i < c.node_count(); ++i) {
    const int n = RecordedOn(c, NodeIdOf(c, i), scratch);
    if (n > most) best = i, most = n;
  }
  return best;
}

double Leader(const Cluster& c, int replica, const std::string& scratch) {
  return MetricSum(c.coordinator_metrics_address(replica), "freehold_coordinator_leader", "",
                   scratch);
}

// --- Test 1 -----------------------------------------------------------------------

TEST(DurabilityFault2Test, OneOfSixDaemonsKilledStaysReadableAndIsRepairedToFullRedundancy) {
  ClusterOptions o;
  o.storage_nodes = 6;
  o.zones = 3;
  o.coordinator_args = {"--repair-after", "1s", "--audits=false", "--orphan-sweep-interval",
                        "2s"};
  o.storaged_args = {"--orphan-grace", "20s"};
  absl::StatusOr<Started> setup = StartWithUser(o, "one");
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;

  // 48 one-segment objects (288 shards).
  const std::map<std::string, std::string> data = PutMany(alice, 48, 70 * 1024, 400 * 1024, "one");
  ASSERT_EQ(data.size(), 48u);
  uint64_t held = 0;
  const int victim = FullestDaemon(cluster, &held);
  const std::string victim_id = NodeIdOf(cluster, victim);
  const int shards = RecordedOn(cluster, victim_id, alice.work_dir());
  ASSERT_GT(shards, 0);

  cluster.KillNode(victim);
  const absl::Time killed_at = absl::Now();
  EXPECT_EQ(ReadAllBack(alice, data, "right after the kill"), "");
  std::printf("48 objects read back %.1f s after the kill\n",
              absl::ToDoubleSeconds(absl::Now() - killed_at));
  ASSERT_TRUE(cluster.WaitForNodesUp(5, absl::Seconds(30)).ok());
  const absl::Duration marked_down = absl::Now() - killed_at;

  // Full redundancy: no segment degraded, nothing recorded on the dead daemon, every
  // record healthy and on the disk of a live daemon.
  const std::string repaired = WaitFor(absl::Seconds(60), [&]() -> std::string {
    if (std::string s = FullRedundancy(cluster); !s.empty()) return s;
    absl::StatusOr<std::vector<RecordedShard>> rows = RecordedShards(cluster, alice.work_dir());
    if (!rows.ok()) return rows.status().ToString();
    std::map<std::string, std::set<std::string>> disks;
    for (int i = 0; i < cluster.node_count(); ++i) {
      if (i == victim) continue;
      for (const auto& [key, path] : ShardFiles(cluster.node_data_dir(i))) {
        disks[NodeIdOf(cluster, i)].insert(key);
      }
    }
    for (const RecordedShard& s : *rows) {
      if (s.node_id == victim_id) return absl::StrCat(s.key, " still recorded on the dead daemon");
      if (s.state != 2) return absl::StrCat(s.key, " in state ", s.state);
      if (!disks[s.node_id].count(s.key)) return absl::StrCat(s.key, " not on its node's disk");
    }
    return "";
  });
  ASSERT_EQ(repaired, "") << "not back to full redundancy within 60 s";
  const absl::Duration to_full = absl::Now() - killed_at;
  std::printf("time to full redundancy after kill -9 of 1 of 6 daemons: %.1f s (%d shards, %llu "
              "bytes rebuilt; marked down after %.1f s)\n",
              absl::ToDoubleSeconds(to_full), shards, static_cast<unsigned long long>(held),
              absl::ToDoubleSeconds(marked_down));
  EXPECT_EQ(ReadAllBack(alice, data, "after repair, daemon away"), "");

  // It returns: its stale copies are removed (deletion queue or orphan sweep); every
  // disk holds exactly what is recorded on its node, no key on two disks.
  ASSERT_TRUE(cluster.StartNode(victim).ok());
  ASSERT_TRUE(cluster.WaitForNodesUp(6, absl::Seconds(30)).ok());
  EXPECT_EQ(WaitFor(absl::Seconds(60), [&] { return DisksMatchRecords(cluster, alice.work_dir()); }),
            "");
  EXPECT_EQ(FullRedundancy(cluster), "");
  EXPECT_EQ(ReadAllBack(alice, data, "after the daemon returned"), "");
}

// --- Test 3 -----------------------------------------------------------------------

TEST(DurabilityFault2Test, FlippedBytesAreReadRightFoundByAuditsWithinThePeriodAndRewritten) {
  constexpr absl::Duration kAuditPeriod = absl::Seconds(10);
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  o.coordinator_args = {"--audit-period", absl::FormatDuration(kAuditPeriod),
                        "--audits-per-second", "60", "--audits-per-node-per-second", "20",
                        "--repair-after", "1s"};
  absl::StatusOr<Started> setup = StartWithUser(o, "flip");
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;
  const std::map<std::string, std::string> data = PutMany(alice, 12, 200 * 1024, 300 * 1024, "flip");
  ASSERT_EQ(data.size(), 12u);

  // Flip one byte in a parity shard (index 5) of eight objects and in a data shard
  // (index 0, read by every get) of two of them; keep the original bytes.
  std::map<std::string, std::string> original;  // key -> bytes
  int i = 0;
  for (const auto& [id, bytes] : data) {
    std::vector<std::string> keys = {HexOfUuid(id) + "-0-5"};
    if (i < 2) keys.push_back(HexOfUuid(id) + "-0-0");
    if (++i > 8) break;
    for (const std::string& key : keys) {
      std::string path;
      for (int n = 0; n < cluster.node_count() && path.empty(); ++n) {
        auto files = ShardFiles(cluster.node_data_dir(n));
        if (files.count(key)) path = files[key];
      }
      ASSERT_FALSE(path.empty()) << key;
      original[key] = ReadFile(path);
      const int fd = ::open(path.c_str(), O_RDWR);
      ASSERT_GE(fd, 0) << path;
      const off_t at = static_cast<off_t>(original[key].size() / 2);
      char c = 0;
      ASSERT_EQ(::pread(fd, &c, 1, at), 1);
      c = static_cast<char>(c ^ 0x20);
      ASSERT_EQ(::pwrite(fd, &c, 1, at), 1);
      ::close(fd);
    }
  }
  ASSERT_EQ(original.size(), 10u);
  const absl::Time flipped_at = absl::Now();
  const std::string metrics = cluster.coordinator_metrics_address();

  // Reads return the right bytes (parity covers the flipped data shards).
  EXPECT_EQ(ReadAllBack(alice, data, "with flipped bytes"), "");

  // Found within the period: audits, the readers' reports for the data shards, or a
  // repair that read a flipped shard of a segment it was rebuilding (its hash fails, so
  // it is rebuilt too, without an audit of its own). A flipped shard is found once it is
  // no longer recorded healthy with its flipped bytes on disk.
  auto still_hidden = [&]() -> std::string {
    absl::StatusOr<std::vector<RecordedShard>> rows = RecordedShards(cluster, alice.work_dir());
    if (!rows.ok()) return rows.status().ToString();
    for (const RecordedShard& r : *rows) {
      if (!original.count(r.key) || r.state != 2) continue;
      for (int n = 0; n < cluster.node_count(); ++n) {
        if (NodeIdOf(cluster, n) != r.node_id) continue;
        auto files = ShardFiles(cluster.node_data_dir(n));
        // (A daemon renames a shard it found corrupt to *.corrupt: found.)
        if (files.count(r.key) && files[r.key].find(".corrupt") == std::string::npos &&
            ReadFile(files[r.key]) != original[r.key]) {
          return absl::StrCat(r.key, " still recorded healthy with its flipped bytes");
        }
      }
    }
    return "";
  };
  double failed = 0;
  const std::string found = WaitFor(kAuditPeriod + absl::Seconds(10), [&]() -> std::string {
    failed = MetricSum(metrics, "freehold_audits_total", "result=\"failed\"", alice.work_dir());
    return still_hidden();
  });
  const absl::Duration detected = absl::Now() - flipped_at;
  EXPECT_EQ(found, "") << "the flipped shards were not all found within the audit period";
  EXPECT_GE(failed, 1) << "no audit failed";
  // The slack covers the 250 ms polling and the metrics scrape, not a second period.
  EXPECT_LE(detected, kAuditPeriod + absl::Seconds(5));

  // Repair rewrites each with its original bytes, recorded healthy on some disk.
  const std::string rewritten = WaitFor(absl::Seconds(40), [&]() -> std::string {
    if (std::string s = FullRedundancy(cluster); !s.empty()) return s;
    absl::StatusOr<std::vector<RecordedShard>> rows = RecordedShards(cluster, alice.work_dir());
    if (!rows.ok()) return rows.status().ToString();
    std::map<std::string, std::string> node_of;
    for (const RecordedShard& s : *rows) {
      if (original.count(s.key)) node_of[s.key] = s.state == 2 ? s.node_id : "";
    }
    for (const auto& [key, bytes] : original) {
      if (node_of[key].empty()) return absl::StrCat(key, " not recorded healthy");
      bool exact = false;
      for (int n = 0; n < cluster.node_count() && !exact; ++n) {
        if (NodeIdOf(cluster, n) != node_of[key]) continue;
        auto files = ShardFiles(cluster.node_data_dir(n));
        exact = files.count(key) && files[key].find(".corrupt") == std::string::npos &&
                ReadFile(files[key]) == bytes;
      }
      if (!exact) return absl::StrCat(key, " not rewritten with its original bytes");
    }
    return "";
  });
  EXPECT_EQ(rewritten, "");
  std::printf("%zu flipped shards: %.0f failed audits, all found %.1f s after the flips (audit "
              "period %.0f s), rewritten %.1f s after\n",
              original.size(), failed, absl::ToDoubleSeconds(detected),
              absl::ToDoubleSeconds(kAuditPeriod), absl::ToDoubleSeconds(absl::Now() - flipped_at));
  EXPECT_EQ(ReadAllBack(alice, data, "after the repair"), "");
}

// --- Test 5 -----------------------------------------------------------------------

// Found by this test (3 of 4 runs, before the fix): the retired node's disk kept one or two
// moved shards. A drain pass (several seconds at this bandwidth) judged the node silent
// by a heartbeat read before the pass, retired it with the deletions of the shards it had
// just moved still queued, and deletions for retired nodes were dropped (and the orphan
// sweep skipped them). Now the node retires only once those deletions are done, checked
// the moment it is seen retired (tests/coordinator/drain_pg_test.cc shows the race).
TEST(DurabilityFault2Test, DrainUnderTrafficEmptiesTheNodeAndItsDiskKeepsReadsExactMovesWithin105Percent) {
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  // A bounded drain bandwidth so that the drain lasts several seconds of traffic.
  o.coordinator_args = {"--audits=false", "--drain-parallelism", "4",
                        "--move-bytes-per-second", "512KiB", "--orphan-sweep-interval", "2s"};
  o.storaged_args = {"--orphan-grace", "20s"};
  absl::StatusOr<Started> setup = StartWithUser(o, "drain");
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;
  std::map<std::string, std::string> data = PutMany(alice, 24, 300 * 1024, 1800 * 1024, "drain");
  ASSERT_EQ(data.size(), 24u);
  uint64_t held = 0;
  const int target = FullestDaemon(cluster, &held);
  const std::string node_id = NodeIdOf(cluster, target);
  ASSERT_GT(held, 0u);

  CliResult drain = RunAdmin(cluster, {"drain", node_id}, alice.work_dir());
  ASSERT_EQ(drain.exit_code, 0) << drain.Describe();
  const absl::Time drain_at = absl::Now();
  // Traffic until it is retired: one exact read per round, a new object every third.
  int reads = 0, writes = 0;
  std::vector<std::pair<std::string, std::string>> list(data.begin(), data.end());
  v1::NodeState state = v1::NODE_STATE_DRAINING;
  while (state != v1::NODE_STATE_RETIRED && absl::Now() - drain_at < absl::Seconds(60)) {
    const auto& [id, bytes] = list[reads % list.size()];
    const std::string out = alice.File("during");
    ::unlink(out.c_str());
    CliResult got = alice.Run({"get", id, "-o", out});
    ++reads;
    EXPECT_EQ(got.exit_code, 0) << "read " << reads << " during the drain: " << got.Describe();
    EXPECT_TRUE(ReadFile(out) == bytes) << "read " << reads << " during the drain: wrong bytes";
    if (reads % 3 == 0) {
      const std::string name = absl::StrCat("during-", writes++);
      const std::string b = WriteRandomFile(alice.File(name), 150 * 1024 + writes, 900 + writes);
      CliResult put = alice.Run({"--json", "put", alice.File(name), "--name", name});
      EXPECT_EQ(put.exit_code, 0) << put.Describe();
      if (put.exit_code == 0) {
        data[nlohmann::json::parse(put.out)["id"].get<std::string>()] = b;
      }
    }
    state = StateOf(cluster, node_id);
  }
  const absl::Duration took = absl::Now() - drain_at;
  // Retired only once it holds nothing: its disk is empty now, not after a sweep.
  std::string left_at_retirement;
  for (const auto& [key, path] : ShardFiles(cluster.node_data_dir(target))) {
    absl::StrAppend(&left_at_retirement, path.substr(path.rfind('/') + 1), " ");
  }
  ASSERT_EQ(state, v1::NODE_STATE_RETIRED) << "not retired within 60 s";
  EXPECT_GE(reads, 3) << "the drain was over before traffic could run";
  EXPECT_EQ(left_at_retirement, "") << "shard files on the node when it was seen retired";

  // Every shard left: nothing recorded on it, nothing on its disk.
  EXPECT_EQ(RecordedOn(cluster, node_id, alice.work_dir()), 0);
  const double moved =
      MetricSum(cluster.coordinator_metrics_address(), "freehold_shard_bytes_moved_total",
                absl::StrCat("node=\"", node_id, "\""), alice.work_dir());
  std::printf("drain of a node holding %llu bytes: %.0f bytes moved (%.3fx) in %.1f s; %d "
              "exact reads and %d puts meanwhile\n",
              static_cast<unsigned long long>(held), moved, moved / static_cast<double>(held),
              absl::ToDoubleSeconds(took), reads, writes);
  EXPECT_GE(moved, static_cast<double>(held));
  EXPECT_LE(moved, 1.05 * static_cast<double>(held));
  EXPECT_EQ(FullRedundancy(cluster), "");
  EXPECT_EQ(DoublePlaced(cluster, alice.work_dir()), "");
  EXPECT_EQ(
      WaitFor(absl::Seconds(30), [&] { return DisksMatchRecords(cluster, alice.work_dir()); }),
      "");
  EXPECT_EQ(ReadAllBack(alice, data, "after the drain"), "");
  if (::testing::Test::HasFailure()) {
    for (const auto& [key, path] : ShardFiles(cluster.node_data_dir(target))) {
      const std::string hex = key.substr(0, 32);
      CliResult q = RunTool(
          "/usr/bin/psql",
          {cluster.database_url(), "-At", "-c",
           absl::StrCat("SELECT 'move', reason, from_node_id, to_node_id, moved_at::text FROM "
                        "coordinator.shard_moves WHERE replace(object_id::text, '-', '') = '",
                        hex, "' UNION ALL SELECT 'deletion', node_id, shard_key, attempts::text, "
                        "last_error FROM coordinator.shard_deletions WHERE shard_key LIKE '",
                        hex, "%' UNION ALL SELECT 'object', state::text, created_at::text, "
                        "committed_at::text, put_grants_expire_at::text FROM coordinator.objects "
                        "WHERE replace(object_id::text, '-', '') = '", hex, "'")},
          alice.work_dir());
      std::printf("left on the drained node: %s (drained node %s)\n%s%s\n", key.c_str(),
                  node_id.c_str(), q.out.c_str(), q.err.c_str());
    }
    PrintLogTail(cluster, alice.work_dir());
  }
}

// --- Test 6 -----------------------------------------------------------------------

// Two coordinator replicas sharing one grant-signing key (--grant-key-file): replica 0
// serves the CLI and the daemons, replica 1 (started first) leads the background work.
absl::StatusOr<Started> StartReplicated(const std::string& tag,
                                        std::vector<std::string> coordinator_args) {
  static testing::TempDir* keys = new testing::TempDir("freehold-grant-key-");
  const std::string key_file = keys->File(absl::StrCat(tag, ".key"));
  absl::StatusOr<SigningKey> key = GenerateSigningKey();
  if (!key.ok()) return key.status();
  if (absl::Status s = SaveSigningKey(*key, key_file); !s.ok()) return s;
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  o.coordinator_replicas = 2;
  o.coordinator_args = std::move(coordinator_args);
  o.coordinator_args.push_back("--grant-key-file");
  o.coordinator_args.push_back(key_file);
  return StartWithUser(o, tag);
}

// Waits until replica 1 leads; "" or why not.
std::string ReplicaOneLeads(const Cluster& c, const std::string& scratch) {
  return WaitFor(absl::Seconds(15), [&]() -> std::string {
    const double l0 = Leader(c, 0, scratch), l1 = Leader(c, 1, scratch);
    if (l0 == 0 && l1 == 1) return "";
    return absl::StrCat("leader gauges: replica 0 ", l0, ", replica 1 ", l1);
  });
}

// After the takeover: replica 0 leads, the work finished, nothing lost or double-placed,
// every object reads back, every disk holds exactly what is recorded.
void ExpectTakenOverAndClean(Cluster& c, const CliUser& u,
                             const std::map<std::string, std::string>& data,
                             absl::Time killed_at) {
  EXPECT_EQ(WaitFor(absl::Seconds(15),
                    [&]() -> std::string {
                      return Leader(c, 0, u.work_dir()) == 1 ? "" : "replica 0 does not lead";
                    }),
            "");
  std::printf("replica 0 leads %.1f s after the leader was killed\n",
              absl::ToDoubleSeconds(absl::Now() - killed_at));
  EXPECT_EQ(DoublePlaced(c, u.work_dir()), "");
  EXPECT_EQ(ReadAllBack(u, data, "after the takeover"), "");
}

TEST(DurabilityFault2Test, LeaderKilledInTheMiddleOfARepairTheOtherReplicaFinishesIt) {
  absl::StatusOr<Started> setup =
      StartReplicated("lrep", {"--repair-after", "1s", "--audits=false",
                               "--orphan-sweep-interval", "2s"});
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;
  ASSERT_EQ(ReplicaOneLeads(cluster, alice.work_dir()), "");
  // 16 three-segment objects: about 80 shards to rebuild, several repair passes.
  const std::map<std::string, std::string> data =
      PutMany(alice, 16, 2300 * 1024, 300 * 1024, "lrep");
  ASSERT_EQ(data.size(), 16u);
  uint64_t held = 0;
  const int victim = FullestDaemon(cluster, &held);
  const std::string victim_id = NodeIdOf(cluster, victim);
  const int on_victim = RecordedOn(cluster, victim_id, alice.work_dir());
  ASSERT_GT(on_victim, 10);

  cluster.KillNode(victim);
  // The leader kill as soon as the repair has moved some of the records, not all.
  int left = on_victim;
  const absl::Time deadline = absl::Now() + absl::Seconds(40);
  while (absl::Now() < deadline) {
    left = RecordedOn(cluster, victim_id, alice.work_dir());
    if (left < on_victim) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_LT(left, on_victim) << "the repair did not start within 40 s";
  ASSERT_GT(left, 0) << "the repair finished before the leader could be killed";
  cluster.KillCoordinator(1);
  const absl::Time killed_at = absl::Now();
  std::printf("leader killed with %d of %d shards of the dead daemon still to repair\n", left,
              on_victim);
  EXPECT_EQ(WaitFor(absl::Seconds(60),
                    [&]() -> std::string {
                      if (std::string s = FullRedundancy(cluster); !s.empty()) return s;
                      const int n = RecordedOn(cluster, victim_id, alice.work_dir());
                      return n == 0 ? "" : absl::StrCat(n, " shards still on the dead daemon");
                    }),
            "")
      << "the repair was not finished by the other replica";
  ExpectTakenOverAndClean(cluster, alice, data, killed_at);
  // The dead daemon returns: its stale copies go; no key on two disks.
  ASSERT_TRUE(cluster.StartNode(victim).ok());
  EXPECT_EQ(WaitFor(absl::Seconds(60), [&] { return DisksMatchRecords(cluster, alice.work_dir()); }),
            "");
}

TEST(DurabilityFault2Test, LeaderKilledInTheMiddleOfADrainTheOtherReplicaFinishesIt) {
  absl::StatusOr<Started> setup = StartReplicated(
      "ldrn", {"--audits=false", "--move-bytes-per-second", "1MiB", "--drain-parallelism", "2",
               "--orphan-sweep-interval", "2s"});
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;
  ASSERT_EQ(ReplicaOneLeads(cluster, alice.work_dir()), "");
  const std::map<std::string, std::string> data =
      PutMany(alice, 16, 700 * 1024, 1500 * 1024, "ldrn");
  ASSERT_EQ(data.size(), 16u);
  uint64_t held = 0;
  const int target = FullestDaemon(cluster, &held);
  const std::string node_id = NodeIdOf(cluster, target);
  const int on_target = RecordedOn(cluster, node_id, alice.work_dir());
  ASSERT_GT(on_target, 4);

  CliResult drain = RunAdmin(cluster, {"drain", node_id}, alice.work_dir());
  ASSERT_EQ(drain.exit_code, 0) << drain.Describe();
  int left = on_target;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    left = RecordedOn(cluster, node_id, alice.work_dir());
    if (left < on_target) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_LT(left, on_target) << "the drain did not start within 30 s";
  ASSERT_GT(left, 0) << "the drain finished before the leader could be killed";
  cluster.KillCoordinator(1);
  const absl::Time killed_at = absl::Now();
  std::printf("leader killed with %d of %d shards still to drain\n", left, on_target);
  EXPECT_EQ(WaitFor(absl::Seconds(60),
                    [&]() -> std::string {
                      const v1::NodeState s = StateOf(cluster, node_id);
                      if (s != v1::NODE_STATE_RETIRED) return v1::NodeState_Name(s);
                      return FullRedundancy(cluster);
                    }),
            "")
      << "the drain was not finished by the other replica";
  EXPECT_EQ(RecordedOn(cluster, node_id, alice.work_dir()), 0);
  ExpectTakenOverAndClean(cluster, alice, data, killed_at);
  EXPECT_EQ(WaitFor(absl::Seconds(60), [&] { return DisksMatchRecords(cluster, alice.work_dir()); }),
            "");
}

// --- Test 7 -----------------------------------------------------------------------
// Found by this test (about one run in three, before the fix): a segment with two shards
// on one node. The drain, the rebalance (the repaired daemon returning changes placement)
// and the re-spread each move shards in their own loop, each choosing its target from a
// snapshot read before a copy that waits for the shared --move-bytes-per-second; two of
// them could copy two shards of one segment onto one node and both commit. A move (and a
// repair) now commits only if its target still holds no other shard of the segment
// (tests/coordinator/drain_pg_test.cc shows the race deterministically).
TEST(DurabilityFault2Test, PostgresRestartedDuringUploadsRepairAndDrainLosesNothingCommitted) {
  const absl::Time test_start = absl::Now();
  absl::StatusOr<std::unique_ptr<testing::RestartablePostgres>> pg =
      testing::RestartablePostgres::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> url = (*pg)->CreateDatabase("freehold_e2e");
  ASSERT_TRUE(url.ok()) << url.status();
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  o.database_url = *url;
  // Uploads that fail in the restart leave pending shards, possibly on the node drained
  // later: the drain re-targets them once their PUT grants expire (--grant-ttl, short
  // here; 15 min by default), not when the upload is collected (--upload-ttl, 24 h).
  o.coordinator_args = {"--repair-after", "1s", "--audits=false", "--move-bytes-per-second",
                        "1MiB", "--grant-ttl", "10s", "--max-delete-backoff", "2s"};
  absl::StatusOr<Started> setup = StartWithUser(o, "pgr");
  ASSERT_TRUE(setup.ok()) << setup.status();
  Cluster& cluster = *setup->cluster;
  CliUser& alice = *setup->alice;
  std::map<std::string, std::string> committed =
      PutMany(alice, 12, 300 * 1024, 900 * 1024, "base");
  ASSERT_EQ(committed.size(), 12u);

  // 1. Uploads in flight (four CLI processes, three files each) when it restarts.
  std::vector<std::unique_ptr<testing::Process>> puts;
  std::map<std::string, std::string> by_name;
  for (int p = 0; p < 4; ++p) {
    testing::ProcessOptions po;
    po.binary = testing::BinaryPath("freehold");
    po.args = {"--json", "put"};
    for (int f = 0; f < 3; ++f) {
      const std::string name = absl::StrCat("inflight-", p, "-", f);
      by_name[name] = WriteRandomFile(alice.File(name), 1200 * 1024 + p * 10 + f, 50 + p * 3 + f);
      po.args.push_back(alice.File(name));
    }
    po.env = {{"FREEHOLD_CONFIG_DIR", alice.config_dir()},
              {"FREEHOLD_PASSWORD", TestPassword(absl::StrCat("pgr", ::getpid()))},
              {"FREEHOLD_ACCOUNTS_ADDR", cluster.accounts_address()},
              {"FREEHOLD_COORDINATOR_ADDR", cluster.coordinator_address()},
              {"FREEHOLD_CA_FILE", cluster.ca_file()},
              {"FREEHOLD_ALLOW_WEAK_KDF", "1"}};
    po.stdout_path = alice.File(absl::StrCat("put-", p, ".out"));
    po.stderr_path = alice.File(absl::StrCat("put-", p, ".err"));
    absl::StatusOr<std::unique_ptr<testing::Process>> proc = testing::Process::Start(po);
    ASSERT_TRUE(proc.ok()) << proc.status();
    puts.push_back(*std::move(proc));
  }
  absl::SleepFor(absl::Milliseconds(400));
  int running = 0;
  for (auto& p : puts) running += p->Running();
  ASSERT_TRUE((*pg)->Restart().ok());
  int ok = 0, unavailable = 0;
  for (int p = 0; p < 4; ++p) {
    absl::StatusOr<int> code = puts[p]->Wait(absl::Seconds(120));
    ASSERT_TRUE(code.ok()) << code.status();
    const std::string out = ReadFile(alice.File(absl::StrCat("put-", p, ".out")));
    const std::string err = ReadFile(alice.File(absl::StrCat("put-", p, ".err")));
    // Failures are UNAVAILABLE (exit 5); files stored before one fails are committed.
    EXPECT_TRUE(*code == 0 || *code == 5) << "put " << p << " exit " << *code << ": " << err;
    (*code == 0 ? ok : unavailable)++;
    const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded() && *code == 0) << "put " << p << ": " << out << err;
    if (!j.is_discarded() && j.contains("stored")) {
      for (const nlohmann::json& s : j["stored"]) {
        committed[s["id"].get<std::string>()] = by_name[s["name"].get<std::string>()];
      }
    }
  }
  std::printf("PostgreSQL restarted with %d of 4 put commands running: %d succeeded, %d failed "
              "UNAVAILABLE\n",
              running, ok, unavailable);
  // Recovered by themselves: the next put works.
  {
    std::map<std::string, std::string> after = PutMany(alice, 2, 200 * 1024, 1000, "after");
    committed.insert(after.begin(), after.end());
  }

  // 2. A repair under way when it restarts.
  uint64_t held = 0;
  const int victim = FullestDaemon(cluster, &held);
  const std::string victim_id = NodeIdOf(cluster, victim);
  const int on_victim = RecordedOn(cluster, victim_id, alice.work_dir());
  cluster.KillNode(victim);
  ASSERT_TRUE(cluster.WaitForNodesUp(6, absl::Seconds(30)).ok());
  // Restart as soon as the repair has moved its first records.
  int before_restart = on_victim;
  const absl::Time repair_deadline = absl::Now() + absl::Seconds(20);
  while (before_restart == on_victim && absl::Now() < repair_deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    before_restart = RecordedOn(cluster, victim_id, alice.work_dir());
  }
  ASSERT_TRUE((*pg)->Restart().ok());
  EXPECT_EQ(WaitFor(absl::Seconds(40),
                    [&]() -> std::string {
                      if (std::string s = FullRedundancy(cluster); !s.empty()) return s;
                      const int n = RecordedOn(cluster, victim_id, alice.work_dir());
                      return n == 0 ? "" : absl::StrCat(n, " shards still on the dead daemon");
                    }),
            "")
      << "repair did not finish after the restart";
  std::printf("repair: %d of %d shards left when PostgreSQL restarted; finished after\n",
              before_restart, on_victim);
  ASSERT_TRUE(cluster.StartNode(victim).ok());
  ASSERT_TRUE(cluster.WaitForNodesUp(7, absl::Seconds(30)).ok());

  // 3. A drain under way (1 MiB/s) when it restarts.
  const int target = MostRecorded(cluster, alice.work_dir());
  const std::string node_id = NodeIdOf(cluster, target);
  const int on_target = RecordedOn(cluster, node_id, alice.work_dir());
  ASSERT_GT(on_target, 4);
  CliResult drain = RunAdmin(cluster, {"drain", node_id}, alice.work_dir());
  ASSERT_EQ(drain.exit_code, 0) << drain.Describe();
  absl::SleepFor(absl::Seconds(1));
  const int draining_left = RecordedOn(cluster, node_id, alice.work_dir());
  EXPECT_GT(draining_left, 0) << "the drain was over before the restart";
  ASSERT_TRUE((*pg)->Restart().ok());
  EXPECT_EQ(WaitFor(absl::Seconds(40),
                    [&]() -> std::string {
                      const v1::NodeState s = StateOf(cluster, node_id);
                      if (s != v1::NODE_STATE_RETIRED) return v1::NodeState_Name(s);
                      return FullRedundancy(cluster);
                    }),
            "")
      << "the drain did not finish after the restart";
  std::printf("drain: %d of %d shards left when PostgreSQL restarted; finished after\n",
              draining_left, on_target);
  if (::testing::Test::HasFailure()) {
    CliResult q = RunTool("/usr/bin/psql",
                          {cluster.database_url(), "-At", "-c",
                           absl::StrCat("SELECT s.state, g.committed, count(*) FROM "
                                        "coordinator.shards s JOIN coordinator.segments g "
                                        "USING (object_id, segment) WHERE s.node_id = '",
                                        node_id, "' GROUP BY 1, 2")},
                          alice.work_dir());
    std::printf("shards left on the draining node (state|committed|count):\n%s\n", q.out.c_str());
    q = RunTool("/usr/bin/psql",
                {cluster.database_url(), "-At", "-c",
                 absl::StrCat("SELECT count(*), max(attempts), min(next_attempt_at), min(last_error) FROM coordinator.shard_deletions "
                              "WHERE node_id = '", node_id, "'")},
                alice.work_dir());
    std::printf("deletions queued on it (count|attempts|next|error): %s\n", q.out.c_str());
  }
  // No segment with two shards on one node (printed with the segment's moves if so).
  if (const std::string dp = DoublePlaced(cluster, alice.work_dir()); !dp.empty()) {
    ADD_FAILURE() << "double placement after the restarts: " << dp;
    const std::string hex = dp.substr(8, 32);
    CliResult q = RunTool("/usr/bin/psql",
                          {cluster.database_url(), "-At", "-c",
                           absl::StrCat("SELECT * FROM coordinator.shard_moves WHERE "
                                        "replace(object_id::text, '-', '') = '", hex,
                                        "' ORDER BY id")},
                          alice.work_dir());
    std::printf("moves of %s:\n%s%s\n", hex.c_str(), q.out.c_str(), q.err.c_str());
  }
  EXPECT_EQ(RecordedOn(cluster, node_id, alice.work_dir()), 0);

  // Nothing committed lost.
  EXPECT_EQ(ReadAllBack(alice, committed, "after three restarts"), "");
  if (::testing::Test::HasFailure()) PrintLogTail(cluster, alice.work_dir());
  setup->cluster.reset();  // services stop before the database does
  std::printf("three restarts, %zu committed objects read back: %.1f s in all\n",
              committed.size(), absl::ToDoubleSeconds(absl::Now() - test_start));
}

}  // namespace
}  // namespace freehold::e2e
