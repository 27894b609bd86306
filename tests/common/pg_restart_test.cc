// PgPool across a real PostgreSQL restart (a private server stopped and started again
// on the same port): the first call on every pooled connection succeeds (stale
// connections are found and replaced, all of them, and idempotent work is retried
// once); while the server is down a call answers UNAVAILABLE naming the database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "common/pg.h"
#include "tests/support/restartable_postgres.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::RestartablePostgres;
using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kPoolSize = 3;

// Opens all kPoolSize connections (concurrent callbacks) and returns their backend pids.
std::set<int> OpenAll(PgPool& pool) {
  absl::Barrier* barrier = new absl::Barrier(kPoolSize);
  std::vector<int> pids(kPoolSize);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPoolSize; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<int> pid = pool.Run([&](PgTxn& txn) {
        int p = txn.exec1("SELECT pg_backend_pid()")[0].as<int>();
        if (barrier->Block()) delete barrier;  // all three held at once
        return p;
      });
      pids[i] = pid.ok() ? *pid : -1;
    });
  }
  for (auto& t : threads) t.join();
  return std::set<int>(pids.begin(), pids.end());
}

// One private server for the suite (initdb is the slow part); a database per test.
class PgRestartTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<RestartablePostgres>> pg = RestartablePostgres::Start();
    if (pg.ok()) {
      pg_ = pg->release();
    } else {
      start_error_ = new std::string(pg.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
    // A test that failed half way may have left the server stopped.
    (void)pg_->StartAgain();
    static int counter = 0;
    absl::StatusOr<std::string> url =
        pg_->CreateDatabase("restart_test_" + std::to_string(++counter));
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }
  PgPoolOptions Options() {
    PgPoolOptions o;
    o.connection_string = url_;
    o.size = kPoolSize;
    o.connect_timeout = absl::Seconds(2);
    o.prepared = {{"one", "SELECT 1"}};
    return o;
  }
  static inline RestartablePostgres* pg_ = nullptr;
  static inline std::string* start_error_ = nullptr;
  std::string url_;
};

TEST_F(PgRestartTest, EveryCallSucceedsAfterARestartInEveryMode) {
  PgPool pool(Options());
  ASSERT_OK(pool.Run([](PgTxn& txn) { txn.exec("CREATE TABLE t (x int)"); }));
  for (TxMode mode :
       {TxMode::kReadWrite, TxMode::kReadOnly, TxMode::kSerializable, TxMode::kAutocommit}) {
    SCOPED_TRACE(static_cast<int>(mode));
    const std::set<int> before = OpenAll(pool);
    ASSERT_EQ(before.size(), static_cast<size_t>(kPoolSize));
    ASSERT_OK(pg_->Restart());
    // More calls than connections, one after another: each lands on a connection the
    // restart broke (or its replacement) and must succeed.
    for (int i = 0; i < 2 * kPoolSize; ++i) {
      EXPECT_OK(pool.Run(
          [&](PgTxn& txn) {
            txn.exec_prepared("one");
            if (mode != TxMode::kReadOnly) txn.exec("INSERT INTO t VALUES (1)");
          },
          mode))
          << "call " << i;
    }
  }
}

TEST_F(PgRestartTest, OneFailureReplacesEveryIdleConnection) {
  PgPool pool(Options());
  const std::set<int> before = OpenAll(pool);
  ASSERT_EQ(before.size(), static_cast<size_t>(kPoolSize));
  ASSERT_OK(pg_->Restart());
  ASSERT_OK(pool.Ping());
  // After the first call, all connections are new ones.
  const std::set<int> after = OpenAll(pool);
  for (int pid : after) EXPECT_EQ(before.count(pid), 0u) << pid;
}

TEST_F(PgRestartTest, DownDatabaseIsUnavailableNamingItThenRecovers) {
  PgPool pool(Options());
  ASSERT_OK(pool.Ping());
  ASSERT_OK(pg_->Stop());
  const absl::Time start = absl::Now();
  absl::Status s = pool.Run([](PgTxn& txn) { txn.exec("SELECT 1"); });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("database")));
  EXPECT_THAT(s.message(), HasSubstr("restart_test"));  // names the database
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("password")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  ASSERT_OK(pg_->StartAgain());
  EXPECT_OK(pool.Ping());
}

}  // namespace
}  // namespace freehold
