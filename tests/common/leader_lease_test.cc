// LeaderLease against a real PostgreSQL: one leader among replicas, leadership passes
// on when the leader's session is terminated or the leader stops, the gauge follows.
#include "common/leader_lease.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <functional>
#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "tests/support/postgres_harness.h"

namespace freehold {
namespace {

constexpr int64_t kKey = 0x74657374;  // "test"
constexpr absl::Duration kInterval = absl::Milliseconds(100);
// Takeover bound: the survivor's next check after the session is gone, with slack for a
// loaded machine.
constexpr absl::Duration kTakeover = absl::Seconds(5);

bool WaitFor(const std::function<bool()>& cond, absl::Duration bound) {
  const absl::Time deadline = absl::Now() + bound;
  while (absl::Now() < deadline) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return cond();
}

class LeaderLeaseTest : public ::freehold::testing::PostgresTest {
 protected:
  LeaderLeaseOptions Options(const std::string& name, prometheus::Gauge* gauge = nullptr,
                             int64_t key = kKey) {
    return LeaderLeaseOptions{.connection_string = db_url(),
                              .lock_key = key,
                              .check_interval = kInterval,
                              .application_name = name,
                              .gauge = gauge};
  }

  // Terminates the sessions of `application_name` from another connection, as an
  // operator or a failover would; returns how many were terminated.
  int Terminate(const std::string& application_name) {
    pqxx::connection admin(db_url());
    pqxx::nontransaction txn(admin);
    pqxx::result r = txn.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        application_name);
    return static_cast<int>(r.size());
  }

  prometheus::Registry registry_;
  prometheus::Family<prometheus::Gauge>& family_ =
      prometheus::BuildGauge().Name("freehold_test_leader").Help("test").Register(registry_);
};

TEST_F(LeaderLeaseTest, OneLeadsAndTheOtherTakesOverWhenTheLeadersSessionIsKilled) {
  prometheus::Gauge& gauge_a = family_.Add({{"replica", "a"}});
  prometheus::Gauge& gauge_b = family_.Add({{"replica", "b"}});
  LeaderLease a(Options("lease-a", &gauge_a));
  LeaderLease b(Options("lease-b", &gauge_b));
  EXPECT_TRUE(a.Check());
  const absl::Time term = a.leading_since();
  EXPECT_TRUE(a.Check());  // stays leader (without stacking the lock), same term
  EXPECT_EQ(a.leading_since(), term);
  EXPECT_FALSE(b.Check());
  EXPECT_EQ(gauge_a.Value(), 1);
  EXPECT_EQ(gauge_b.Value(), 0);
  a.Start();
  b.Start();
  // Steady state: still exactly one leader.
  absl::SleepFor(5 * kInterval);
  EXPECT_TRUE(a.IsLeader());
  EXPECT_FALSE(b.IsLeader());

  EXPECT_EQ(b.leading_since(), absl::InfiniteFuture());
  const absl::Time a_since = a.leading_since();
  EXPECT_LE(a_since, absl::Now());

  const absl::Time cut = absl::Now();
  ASSERT_EQ(Terminate("lease-a"), 1);
  ASSERT_TRUE(WaitFor([&] { return b.IsLeader() && !a.IsLeader(); }, kTakeover))
      << "a=" << a.IsLeader() << " b=" << b.IsLeader();
  EXPECT_GE(b.leading_since(), cut);  // a new term
  EXPECT_EQ(a.leading_since(), absl::InfiniteFuture());
  EXPECT_EQ(gauge_a.Value(), 0);
  EXPECT_EQ(gauge_b.Value(), 1);
  // a reconnected and now waits as the follower; and takes the lead back in turn.
  absl::SleepFor(5 * kInterval);
  EXPECT_FALSE(a.IsLeader());
  ASSERT_EQ(Terminate("lease-b"), 1);
  EXPECT_TRUE(WaitFor([&] { return a.IsLeader() && !b.IsLeader(); }, kTakeover));
}

TEST_F(LeaderLeaseTest, StoppingTheLeaderPassesTheLeadOn) {
  auto a = std::make_unique<LeaderLease>(Options("lease-a"));
  LeaderLease b(Options("lease-b"));
  a->Start();
  ASSERT_TRUE(WaitFor([&] { return a->IsLeader(); }, kTakeover));
  b.Start();
  absl::SleepFor(3 * kInterval);
  EXPECT_FALSE(b.IsLeader());
  a->Stop();
  EXPECT_FALSE(a->IsLeader());
  EXPECT_FALSE(a->Check());  // stopped for good
  EXPECT_TRUE(WaitFor([&] { return b.IsLeader(); }, kTakeover));
  a.reset();
}

TEST_F(LeaderLeaseTest, DifferentKeysLeadIndependently) {
  LeaderLease coordinator(Options("c", nullptr, kCoordinatorLeaderLockKey));
  LeaderLease accounts(Options("a", nullptr, kAccountsLeaderLockKey));
  EXPECT_TRUE(coordinator.Check());
  EXPECT_TRUE(accounts.Check());
}

TEST_F(LeaderLeaseTest, UnreachableDatabaseMeansNotLeading) {
  LeaderLeaseOptions o = Options("x");
  o.connection_string = "host=127.0.0.1 port=1 dbname=postgres";  // nothing listens
  o.connect_timeout = absl::Seconds(2);
  LeaderLease lease(o);
  EXPECT_FALSE(lease.Check());
  EXPECT_FALSE(lease.IsLeader());
}

TEST_F(LeaderLeaseTest, RunIfLeaderRunsOnlyOnTheLeader) {
  LeaderLease a(Options("lease-a"));
  LeaderLease b(Options("lease-b"));
  ASSERT_TRUE(a.Check());
  ASSERT_FALSE(b.Check());
  int runs_a = 0, runs_b = 0;
  EXPECT_TRUE(a.RunIfLeader([&] {
                 ++runs_a;
                 return absl::OkStatus();
               }).ok());
  EXPECT_TRUE(b.RunIfLeader([&] {
                 ++runs_b;
                 return absl::InternalError("must not run");
               }).ok());
  EXPECT_EQ(runs_a, 1);
  EXPECT_EQ(runs_b, 0);
  // The leader's errors come back as they are.
  EXPECT_EQ(a.RunIfLeader([] { return absl::UnavailableError("x"); }).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace freehold
