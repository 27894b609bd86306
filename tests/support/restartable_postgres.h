// A private PostgreSQL server of one test that the test may stop and start again (on
// the same port, with the same data), to prove that services survive a database
// restart. Runs tests/support/pg_ctl.sh in its own temp dir; the shared test server
// (PostgresHarness) is never touched. Stopped when destroyed.
//
//   ASSERT_OK_AND_ASSIGN(auto pg, RestartablePostgres::Start());
//   ... use pg->url() (database "postgres") or pg->CreateDatabase() ...
//   ASSERT_OK(pg->Restart());   // fast shutdown (every session ends), then start again
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/temp_dir.h"

namespace freehold::testing {

class RestartablePostgres {
 public:
  // initdb + start on a free loopback port; UNAVAILABLE with pg_ctl.sh's output if not.
  static absl::StatusOr<std::unique_ptr<RestartablePostgres>> Start();
  ~RestartablePostgres();

  // Admin URL (user postgres, database postgres).
  const std::string& url() const { return url_; }
  // A new empty database; its URL.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);

  // Fast shutdown (sessions are terminated) / start again on the same port.
  absl::Status Stop();
  absl::Status StartAgain();
  absl::Status Restart();

 private:
  RestartablePostgres() = default;
  TempDir dir_{"freehold-pg-restart-"};
  std::string port_;
  std::string url_;
};

}  // namespace freehold::testing
