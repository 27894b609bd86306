// A real PostgreSQL 15 for tests; every test gets its own fresh database.
//
//   class AccountsPgTest : public freehold::testing::PostgresTest {};
//   TEST_F(AccountsPgTest, StoresAccount) {
//     freehold::PgPool pool({.connection_string = db_url()});
//     ...
//   }
//
// Server: if the environment variable FREEHOLD_TEST_PG_URL is set (tests/run.sh starts
// one server for the whole run with tests/support/pg_ctl.sh), that server is used (the
// URL must allow CREATE DATABASE). Otherwise the first use starts a private server
// for this test process: initdb into a temp dir (-A trust, user "postgres"), listening
// on 127.0.0.1 at a free port and a unix socket in that dir, with fsync, full-page
// writes and synchronous commit off. As root it runs as user "freehold-test" if that
// exists, else "nobody". The server is stopped at process exit and dies with the test
// process (parent-death signal, tied to the thread that first uses the harness: use it
// first from the test's main thread, as PostgresTest::SetUp does), so nothing is left
// behind.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace freehold::testing {

class PostgresHarness {
 public:
  // The process-wide harness (lazily starts the server on first use). Test-only
  // singleton. Fails the calling test (returns a non-OK status from the calls below)
  // if the server cannot be started.
  static PostgresHarness& Get();

  // Admin URL of the server (database "postgres"), starting the server if needed.
  absl::StatusOr<std::string> AdminUrl();

  // Creates a new uniquely named empty database (TEMPLATE template0) and returns a libpq
  // URL for it.
  absl::StatusOr<std::string> CreateDatabase();
  // Drops a database created by CreateDatabase (WITH (FORCE): kills its connections).
  absl::Status DropDatabase(const std::string& url);

  // Database name of a URL returned by CreateDatabase.
  static std::string DatabaseName(const std::string& url);

  // Stops the private server if this process started one (also done at exit).
  void Shutdown();

 private:
  PostgresHarness() = default;
  struct Server;
  std::unique_ptr<Server> server_;
  std::string admin_url_;
};

// Replaces the database of a libpq URI or keyword connection string.
std::string WithDatabase(const std::string& connection_string, const std::string& dbname);

// Fixture: SetUp creates a fresh database (fails the test if it cannot), TearDown drops it.
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  const std::string& db_url() const { return db_url_; }

 private:
  std::string db_url_;
};

}  // namespace freehold::testing
