// Several replicas and a highly available database, as real processes on loopback.
//
// CoordinatorReplicasTest: two coordinators on one database; exactly one leads the
// background work (freehold_coordinator_leader), and when it is killed the other takes
// over within a bound.
//
// DatabaseFailoverTest: the whole cluster on deploy/ha/pg-ha.sh (Patroni, two
// PostgreSQL members with synchronous replication, etcd) through its libpq multi-host
// URL. Sign-ups and puts run in a loop while the primary changes (a Patroni switchover,
// then the primary's host killed outright); the services recover by themselves within
// a bound, every call that failed failed as UNAVAILABLE (CLI exit code 5), and every
// call that succeeded is still there afterwards. Skipped when Patroni or etcd are not
// installed (deploy/install-deps.sh installs them).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/leader_lease.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace freehold::e2e {
namespace {

// The value of an unlabelled gauge in a /metrics page (-1 if absent or unreachable).
double Gauge(const std::string& metrics_address, const std::string& name,
             const std::string& scratch) {
  CliResult r = RunTool(
      "/usr/bin/curl",
      {"-sS", "--max-time", "5", absl::StrCat("http://", metrics_address, "/metrics")}, scratch);
  if (r.exit_code != 0) return -1;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (absl::StartsWith(line, name + " ")) {
      double v = -1;
      if (absl::SimpleAtod(line.substr(name.size() + 1), &v)) return v;
    }
  }
  return -1;
}

bool WaitUntil(const std::function<bool()>& cond, absl::Duration bound) {
  const absl::Time deadline = absl::Now() + bound;
  while (absl::Now() < deadline) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return cond();
}

TEST(CoordinatorReplicasTest, OnlyOneLeadsAndTheOtherTakesOverWhenItDies) {
  testing::TempDir scratch("freehold-ha-");
  ClusterOptions o;
  o.storage_nodes = 0;
  o.coordinator_replicas = 2;
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;
  auto leader = [&](int r) {
    return Gauge(cluster.coordinator_metrics_address(r), "freehold_coordinator_leader",
                 scratch.path());
  };
  // Exactly one of them leads (--loop-interval 500ms), and keeps leading.
  ASSERT_TRUE(WaitUntil([&] { return leader(0) + leader(1) == 1; }, absl::Seconds(15)))
      << leader(0) << " " << leader(1);
  absl::SleepFor(absl::Seconds(2));
  const int first = leader(0) == 1 ? 0 : 1;
  EXPECT_EQ(leader(first), 1);
  EXPECT_EQ(leader(1 - first), 0);

  // The leader dies; its session closes with it and the other takes over within a few
  // loop intervals.
  const absl::Time killed = absl::Now();
  cluster.KillCoordinator(first);
  EXPECT_TRUE(WaitUntil([&] { return leader(1 - first) == 1; }, absl::Seconds(10)))
      << "replica " << 1 - first << " did not take over";
  std::printf("takeover after %s\n", absl::FormatDuration(absl::Now() - killed).c_str());
}

// --- Database failover -----------------------------------------------------------

std::string PgHaScript() { return std::string(FREEHOLD_SOURCE_DIR) + "/deploy/ha/pg-ha.sh"; }

bool Installed(const char* tool) {
  return RunTool("/bin/sh", {"-c", absl::StrCat("command -v ", tool)}, "/tmp").exit_code == 0;
}

class DatabaseFailoverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!Installed("patroni") || !Installed("etcd") || !Installed("patronictl")) {
      skip_ = new std::string(
          "patroni and etcd are not installed (deploy/install-deps.sh installs them)");
      return;
    }
    ha_dir_ = new testing::TempDir("freehold-pg-ha-");
    // pg-ha.sh needs BASEPORT..BASEPORT+5; retry on another base if one is taken.
    for (int attempt = 0; attempt < 3 && url_ == nullptr; ++attempt) {
      absl::StatusOr<int> base = testing::PickFreePort();
      if (!base.ok()) continue;
      CliResult up = RunTool(PgHaScript(), {"up", ha_dir_->path(), absl::StrCat(*base)},
                             ha_dir_->path(), absl::Seconds(180));
      if (up.exit_code == 0) {
        url_ = new std::string(std::string(absl::StripAsciiWhitespace(up.out)));
      } else {
        error_ = new std::string(up.Describe());
        RunTool(PgHaScript(), {"down", ha_dir_->path()}, ha_dir_->path(), absl::Seconds(60));
        // A taken port fails within seconds; a start that timed out will time out
        // again on another port (three more minutes each): report it at once.
        if (absl::StrContains(*error_, "timed out")) break;
      }
    }
    if (url_ == nullptr) return;
    ClusterOptions o;
    o.storage_nodes = 6;
    o.zones = 3;
    o.database_url = *url_;
    absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(o);
    if (c.ok()) {
      cluster_ = c->release();
    } else {
      delete error_;
      error_ = new std::string(c.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    if (ha_dir_ != nullptr) {
      RunTool(PgHaScript(), {"down", ha_dir_->path()}, ha_dir_->path(), absl::Seconds(60));
    }
    delete ha_dir_;
    ha_dir_ = nullptr;
  }
  void SetUp() override {
    if (skip_ != nullptr) GTEST_SKIP() << *skip_;
    ASSERT_NE(url_, nullptr) << "pg-ha.sh up failed: " << (error_ ? *error_ : "");
    ASSERT_NE(cluster_, nullptr) << "cluster did not start: " << (error_ ? *error_ : "");
  }
  Cluster& cluster() { return *cluster_; }

  // One round of work: a new user signs up and puts a small file.
  struct Round {
    std::unique_ptr<CliUser> user;
    std::string handle;
    bool signed_up = false;
    std::string data;
    std::string object_id;  // empty unless the put succeeded
    bool put_failed = false;
  };
  Round Work(int i, std::vector<CliResult>* failures) {
    Round r;
    r.handle = absl::StrCat("ha", ::getpid(), "x", i);
    r.user =
        std::make_unique<CliUser>(cluster().accounts_address(), cluster().coordinator_address(),
                                  TestPassword(r.handle), cluster().ca_file());
    CliResult s = r.user->Run({"signup", "--handle", r.handle}, {}, absl::Seconds(60));
    if (s.exit_code != 0) {
      failures->push_back(s);
      return r;
    }
    r.signed_up = true;
    r.data = WriteRandomFile(r.user->File("f"), 64 * 1024 + i, static_cast<uint32_t>(i));
    CliResult p =
        r.user->Run({"--json", "put", r.user->File("f"), "--name", "f"}, {}, absl::Seconds(60));
    if (p.exit_code != 0) {
      r.put_failed = true;
      failures->push_back(p);
      return r;
    }
    nlohmann::json j = nlohmann::json::parse(p.out, nullptr, false);
    if (!j.is_discarded() && j.contains("id")) r.object_id = j["id"].get<std::string>();
    return r;
  }

  // Runs rounds while `change` (a pg-ha.sh command) runs on another thread, then until
  // a round succeeds again; checks the failures and every committed round afterwards.
  void WorkThrough(const std::string& change, absl::Duration recovery_bound) {
    std::vector<Round> rounds;
    std::vector<CliResult> failures;
    int i = static_cast<int>(absl::ToUnixMillis(absl::Now()) % 100000) * 100;
    for (int k = 0; k < 2; ++k) {  // before: everything works
      rounds.push_back(Work(++i, &failures));
      ASSERT_FALSE(rounds.back().object_id.empty()) << failures.back().Describe();
    }
    std::atomic<bool> changed{false};
    CliResult change_result;
    std::thread changer([&] {
      change_result =
          RunTool(PgHaScript(), {change, ha_dir_->path()}, ha_dir_->path(), absl::Seconds(120));
      changed = true;
    });
    const absl::Time start = absl::Now();
    while (!changed.load()) rounds.push_back(Work(++i, &failures));
    changer.join();
    ASSERT_EQ(change_result.exit_code, 0) << change_result.Describe();
    // Recovery: the services reconnect by themselves (no restart).
    const absl::Time changed_at = absl::Now();
    bool recovered = false;
    while (!recovered && absl::Now() - changed_at < recovery_bound) {
      rounds.push_back(Work(++i, &failures));
      recovered = !rounds.back().object_id.empty();
    }
    EXPECT_TRUE(recovered) << "no put succeeded within " << recovery_bound << " after " << change;
    std::printf(
        "%s: %zu rounds, %zu failed calls, recovered %s after the change ended (%s in all)\n",
        change.c_str(), rounds.size(), failures.size(),
        absl::FormatDuration(absl::Now() - changed_at).c_str(),
        absl::FormatDuration(absl::Now() - start).c_str());
    for (const CliResult& f : failures) {
      EXPECT_EQ(f.exit_code, 5) << "a call failed otherwise than UNAVAILABLE: " << f.Describe();
      // Heartbeats refused during the outage must not get storage nodes marked down
      // afterwards (the new leader waits --node-down-after first).
      EXPECT_THAT(f.err, ::testing::Not(::testing::HasSubstr("eligible host domains")))
          << "storage nodes were marked down after the failover: " << f.Describe();
      std::printf("  failed as expected: %s", f.err.substr(0, 300).c_str());
    }
    // Nothing committed was lost: every signed-up user lists, every stored object reads
    // back byte for byte.
    for (const Round& r : rounds) {
      if (!r.signed_up) continue;
      // No session ends: a refresh whose answer was lost in the failover is retried
      // within the accounts service's retry grace.
      CliResult ls = r.user->Run({"--json", "ls"});
      EXPECT_EQ(ls.exit_code, 0) << r.handle << ": " << ls.Describe();
      if (r.object_id.empty()) continue;
      const std::string out = r.user->File("back");
      CliResult g = r.user->Run({"get", r.object_id, "-o", out});
      EXPECT_EQ(g.exit_code, 0) << r.handle << ": " << g.Describe();
      EXPECT_TRUE(ReadFile(out) == r.data) << r.handle << ": object " << r.object_id << " differs";
    }
  }

  static inline testing::TempDir* ha_dir_ = nullptr;
  static inline std::string* url_ = nullptr;
  static inline std::string* skip_ = nullptr;
  static inline std::string* error_ = nullptr;
  static inline Cluster* cluster_ = nullptr;
};

TEST_F(DatabaseFailoverTest, ALeaseOnTheStandbyNeverLeads) {
  CliResult primary = RunTool(PgHaScript(), {"primary", ha_dir_->path()}, ha_dir_->path());
  ASSERT_EQ(primary.exit_code, 0) << primary.Describe();
  const std::string name(absl::StripAsciiWhitespace(primary.out));
  ASSERT_TRUE(name == "pg1" || name == "pg2") << name;
  int base = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(ha_dir_->File("baseport"))), &base));
  const int standby_port = base + (name == "pg1" ? 3 : 2);
  constexpr int64_t kKey = 0x68617465;  // "hate": a key no service uses
  LeaderLease on_standby({.connection_string = absl::StrCat("host=127.0.0.1 port=", standby_port,
                                                            " user=postgres dbname=postgres"),
                          .lock_key = kKey});
  EXPECT_FALSE(on_standby.Check());  // advisory locks on a standby guard nothing
  LeaderLease on_primary({.connection_string = *url_, .lock_key = kKey});
  EXPECT_TRUE(on_primary.Check());
}

TEST_F(DatabaseFailoverTest, ServicesRecoverFromASwitchoverWithoutLosingCommits) {
  WorkThrough("switchover", absl::Seconds(60));
}

TEST_F(DatabaseFailoverTest, ServicesRecoverWhenThePrimaryDiesWithoutLosingCommits) {
  // kill-primary returns at once; the standby is promoted after Patroni's ttl (10 s).
  WorkThrough("kill-primary", absl::Seconds(90));
  // The killed member rejoins as the synchronous standby (for later tests).
  CliResult up =
      RunTool(PgHaScript(), {"up", ha_dir_->path()}, ha_dir_->path(), absl::Seconds(180));
  EXPECT_EQ(up.exit_code, 0) << up.Describe();
}

}  // namespace
}  // namespace freehold::e2e
