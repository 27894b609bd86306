// PgPool against a real PostgreSQL: prepared statements, error mapping, broken
// connections, pool exhaustion, retries and timeouts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/pg.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class PgPoolTest : public ::freehold::testing::PostgresTest {
 protected:
  PgPoolOptions Options(int size = 2) {
    PgPoolOptions o;
    o.connection_string = db_url();
    o.size = size;
    o.acquire_timeout = absl::Seconds(5);
    return o;
  }

  void CreateTables(PgPool& pool) {
    ASSERT_OK(pool.Run([](PgTxn& txn) {
      txn.exec(
          "CREATE TABLE parents (id int PRIMARY KEY);"
          "CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE NOT NULL,"
          "  size int CHECK (size >= 0), parent int REFERENCES parents(id));");
    }));
  }
};

TEST_F(PgPoolTest, RunsPreparedStatementsOnEveryConnection) {
  PgPoolOptions o = Options(3);
  o.prepared = {{"add", "SELECT $1::int + $2::int"}};
  PgPool pool(o);
  ASSERT_OK(pool.Prepare("mul", "SELECT $1::int * $2::int"));
  EXPECT_OK(pool.Prepare("mul", "SELECT $1::int * $2::int"));  // same SQL: no-op
  EXPECT_THAT(pool.Prepare("mul", "SELECT 1"), StatusIs(absl::StatusCode::kAlreadyExists));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      absl::StatusOr<int> r = pool.Run([&](PgTxn& txn) {
        const int a = txn.exec_prepared1("add", t, 1)[0].as<int>();
        return txn.exec_prepared1("mul", a, 10)[0].as<int>();
      });
      if (r.ok() && *r == (t + 1) * 10) ok.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(pool.in_use(), 0);
}

TEST_F(PgPoolTest, CommitsOnSuccessAndRollsBackOnErrorStatus) {
  PgPool pool(Options());
  CreateTables(pool);
  ASSERT_OK(pool.Run([](PgTxn& txn) { txn.exec("INSERT INTO items (name) VALUES ('kept')"); }));
  EXPECT_THAT(pool.Run([](PgTxn& txn) -> absl::Status {
    txn.exec("INSERT INTO items (name) VALUES ('dropped')");
    return absl::FailedPreconditionError("business rule");
  }),
              StatusIs(absl::StatusCode::kFailedPrecondition, "business rule"));
  EXPECT_THAT(pool.Run([](PgTxn& txn) -> absl::StatusOr<int> {
    txn.exec("INSERT INTO items (name) VALUES ('dropped2')");
    return absl::NotFoundError("nope");
  }),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::string names, pool.RunReadOnly([](PgTxn& txn) {
    return txn.exec1("SELECT string_agg(name, ',') FROM items")[0].as<std::string>();
  }));
  EXPECT_EQ(names, "kept");
}

TEST_F(PgPoolTest, MapsConstraintViolations) {
  PgPool pool(Options());
  CreateTables(pool);
  ASSERT_OK(pool.Run([](PgTxn& txn) { txn.exec("INSERT INTO items (name) VALUES ('alice')"); }));
  absl::Status dup = pool.Run(
      [](PgTxn& txn) { txn.exec_params("INSERT INTO items (name) VALUES ($1)", "alice"); });
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("items_name_key")));
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists, Not(HasSubstr("alice"))));
  EXPECT_THAT(
      pool.Run([](PgTxn& txn) { txn.exec("INSERT INTO items (name, size) VALUES ('b', -1)"); }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("check constraint")));
  EXPECT_THAT(pool.Run([](PgTxn& txn) { txn.exec("INSERT INTO items (name) VALUES (NULL)"); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      pool.Run([](PgTxn& txn) { txn.exec("INSERT INTO items (name, parent) VALUES ('c', 42)"); }),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(pool.Run([](PgTxn& txn) { txn.exec("SELECT 'abc'::int"); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(pool.Run([](PgTxn& txn) { txn.exec("SELEKT 1"); }),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(pool.Run([](PgTxn&) { throw std::runtime_error("boom"); }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("boom")));
}

// Terminates backend `pid` through a separate admin connection and waits (bounded)
// until it is gone.
void TerminateBackend(const std::string& url, int pid) {
  pqxx::connection admin(url);
  pqxx::nontransaction txn(admin);
  ASSERT_TRUE(txn.exec1("SELECT pg_terminate_backend(" + std::to_string(pid) + ")")[0].as<bool>());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (txn.exec1("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid))[0]
                 .as<int>() > 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
}

TEST_F(PgPoolTest, ABackendKilledWhileIdleIsReplacedBeforeUse) {
  PgPool pool(Options(1));
  ASSERT_OK_AND_ASSIGN(int pid, pool.Run([](PgTxn& txn) {
    return txn.exec1("SELECT pg_backend_pid()")[0].as<int>();
  }));
  TerminateBackend(db_url(), pid);
  // The next call does not fail: the dead idle connection is noticed and replaced.
  ASSERT_OK_AND_ASSIGN(int new_pid, pool.Run([](PgTxn& txn) {
    return txn.exec1("SELECT pg_backend_pid()")[0].as<int>();
  }));
  EXPECT_NE(new_pid, pid);
  EXPECT_OK(pool.Ping());
}

TEST_F(PgPoolTest, ABackendKilledMidTransactionIsRetriedOnceThenUnavailable) {
  PgPool pool(Options(1));
  // The first attempt loses its connection mid-transaction (nothing committed): retried
  // once on a fresh connection, which succeeds.
  int calls = 0;
  ASSERT_OK_AND_ASSIGN(int pid, pool.Run([&](PgTxn& txn) {
    const int p = txn.exec1("SELECT pg_backend_pid()")[0].as<int>();
    if (++calls == 1) {
      TerminateBackend(db_url(), p);
      txn.exec("SELECT 1");  // broken connection
    }
    return p;
  }));
  EXPECT_EQ(calls, 2);
  // Every attempt losing its connection: UNAVAILABLE after one retry, naming the database.
  calls = 0;
  absl::Status s = pool.Run([&](PgTxn& txn) {
    ++calls;
    TerminateBackend(db_url(), txn.exec1("SELECT pg_backend_pid()")[0].as<int>());
    txn.exec("SELECT 1");
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("database \"")));
  EXPECT_EQ(calls, 2);
  // Autocommit work that already ran is never repeated.
  calls = 0;
  s = pool.RunAutocommit([&](PgTxn& txn) {
    ++calls;
    TerminateBackend(db_url(), txn.exec1("SELECT pg_backend_pid()")[0].as<int>());
    txn.exec("SELECT 1");
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls, 1);
  EXPECT_NE(pid, 0);
  EXPECT_OK(pool.Ping());
}

TEST_F(PgPoolTest, ExhaustedPoolFailsAfterAcquireTimeout) {
  PgPoolOptions o = Options(1);
  o.acquire_timeout = absl::Milliseconds(200);
  PgPool pool(o);
  absl::Notification holding, release;
  std::thread holder([&] {
    (void)pool.Run([&](PgTxn&) {
      holding.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(20));
    });
  });
  ASSERT_TRUE(holding.WaitForNotificationWithTimeout(absl::Seconds(20)));
  const absl::Time start = absl::Now();
  EXPECT_THAT(pool.Run([](PgTxn&) {}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no free database connection")));
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, absl::Milliseconds(190));
  EXPECT_LT(waited, absl::Seconds(5));
  release.Notify();
  holder.join();
  EXPECT_OK(pool.Run([](PgTxn&) {}));
}

TEST_F(PgPoolTest, RetriesSerializationFailuresThenAborts) {
  PgPoolOptions o = Options(1);
  o.max_serialization_retries = 3;
  PgPool pool(o);
  int calls = 0;
  // Fails once with a real 40001 from the server, then succeeds.
  ASSERT_OK_AND_ASSIGN(int v, pool.RunSerializable([&](PgTxn& txn) {
    if (++calls == 1) {
      txn.exec("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
    }
    return 7;
  }));
  EXPECT_EQ(v, 7);
  EXPECT_EQ(calls, 2);
  calls = 0;
  EXPECT_THAT(pool.Run([&](PgTxn& txn) {
    ++calls;
    txn.exec("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$");
  }),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("4 attempts")));
  EXPECT_EQ(calls, 4);
}

TEST_F(PgPoolTest, AutocommitCommitsEachStatementAndNeverRetries) {
  PgPoolOptions o = Options(1);
  o.prepared = {{"add_item", "INSERT INTO items (name) VALUES ($1)"}};
  PgPool pool(o);
  CreateTables(pool);
  // No transaction block: the first statement stays committed although the callback
  // then fails (unlike Run, which rolls back).
  EXPECT_THAT(pool.RunAutocommit([](PgTxn& txn) -> absl::Status {
    txn.exec_prepared("add_item", "kept");
    return absl::FailedPreconditionError("stop");
  }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Each statement is its own transaction (no BEGIN sent before it).
  ASSERT_OK_AND_ASSIGN(bool own_transaction, pool.RunAutocommit([](PgTxn& txn) {
    return txn.exec1("SELECT transaction_timestamp() = statement_timestamp()")[0].as<bool>();
  }));
  EXPECT_TRUE(own_transaction);
  int calls = 0;
  EXPECT_THAT(pool.RunAutocommit([&](PgTxn& txn) {
    ++calls;
    txn.exec("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$");
  }),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(pool.RunAutocommit([](PgTxn& txn) { txn.exec_prepared("add_item", "kept"); }),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(int n, pool.RunReadOnly([](PgTxn& txn) {
    return txn.exec1("SELECT count(*) FROM items WHERE name = 'kept'")[0].as<int>();
  }));
  EXPECT_EQ(n, 1);
}

TEST_F(PgPoolTest, StatementsPreparedAfterFirstUseReachExistingConnections) {
  PgPool pool(Options(1));
  ASSERT_OK_AND_ASSIGN(
      int a, pool.RunAutocommit([](PgTxn& txn) { return txn.exec1("SELECT 1")[0].as<int>(); }));
  EXPECT_EQ(a, 1);
  ASSERT_OK(pool.Prepare("twice", "SELECT 2 * $1::int"));
  ASSERT_OK_AND_ASSIGN(int b, pool.RunAutocommit([](PgTxn& txn) {
    return txn.exec_prepared1("twice", 21)[0].as<int>();
  }));
  EXPECT_EQ(b, 42);
}

TEST_F(PgPoolTest, StatementTimeoutIsDeadlineExceeded) {
  PgPoolOptions o = Options(1);
  o.statement_timeout = absl::Milliseconds(100);
  PgPool pool(o);
  const absl::Time start = absl::Now();
  EXPECT_THAT(pool.Run([](PgTxn& txn) { txn.exec("SELECT pg_sleep(10)"); }),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_OK(pool.Ping());  // the connection is still usable
}

TEST_F(PgPoolTest, ReadOnlyTransactionsRejectWrites) {
  PgPool pool(Options(1));
  CreateTables(pool);
  EXPECT_FALSE(
      pool.RunReadOnly([](PgTxn& txn) { txn.exec("INSERT INTO items (name) VALUES ('x')"); }).ok());
  ASSERT_OK_AND_ASSIGN(int n, pool.RunReadOnly([](PgTxn& txn) {
    return txn.exec1("SELECT count(*) FROM items")[0].as<int>();
  }));
  EXPECT_EQ(n, 0);
}

TEST_F(PgPoolTest, SetsSearchPathOnNewConnections) {
  {
    PgPool setup(Options(1));
    ASSERT_OK(setup.Run([](PgTxn& txn) {
      txn.exec(
          "CREATE SCHEMA svc; CREATE TABLE svc.things (v int); INSERT INTO svc.things VALUES (5)");
    }));
  }
  PgPoolOptions o = Options(1);
  o.search_path = "svc, public";
  PgPool pool(o);
  ASSERT_OK_AND_ASSIGN(int v, pool.RunReadOnly([](PgTxn& txn) {
    return txn.exec1("SELECT v FROM things")[0].as<int>();
  }));
  EXPECT_EQ(v, 5);
}

TEST_F(PgPoolTest, MakesSessionSettingsOnNewConnections) {
  PgPoolOptions o = Options(2);
  o.session_settings = {{"plan_cache_mode", "force_generic_plan"},
                        {"application_name", "it's quoted"}};
  PgPool pool(o);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string v, pool.Run([](PgTxn& txn) {
      return txn
          .exec1(
              "SELECT current_setting('plan_cache_mode') || '/' || "
              "current_setting('application_name')")[0]
          .as<std::string>();
    }));
    EXPECT_EQ(v, "force_generic_plan/it's quoted");
  }
}

TEST(PgPoolNoServerTest, UnreachableServerIsUnavailableQuickly) {
  ASSERT_OK_AND_ASSIGN(int port, ::freehold::testing::PickFreePort());
  PgPoolOptions o;
  o.connection_string = "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/x";
  o.size = 1;
  PgPool pool(o);
  const absl::Time start = absl::Now();
  EXPECT_THAT(pool.Ping(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot connect")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(PgPoolNoServerTest, InvalidOptionsAreReported) {
  PgPoolOptions o;
  o.connection_string = "";
  EXPECT_THAT(ValidatePgPoolOptions(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("connection_string")));
  PgPool pool(o);
  EXPECT_THAT(pool.Run([](PgTxn&) {}), StatusIs(absl::StatusCode::kInvalidArgument));
  o.connection_string = "host=x";
  o.size = 0;
  EXPECT_THAT(ValidatePgPoolOptions(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size")));
}

}  // namespace
}  // namespace freehold
