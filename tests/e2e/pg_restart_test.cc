// End-to-end: the cluster's PostgreSQL (a private server of this test) is restarted
// and stopped under the running services. After a restart the very next calls work
// (no failed first request per pooled connection); while it is down the CLI says the
// service's database is unavailable (exit 5), not "is the cluster running?".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/support/restartable_postgres.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PgRestartE2eTest, ServicesRecoverAtOnceAndTheCliNamesTheDatabase) {
  absl::StatusOr<std::unique_ptr<testing::RestartablePostgres>> pg =
      testing::RestartablePostgres::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> url = (*pg)->CreateDatabase("freehold_e2e");
  ASSERT_TRUE(url.ok()) << url.status();
  ClusterOptions o;
  o.database_url = *url;
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;

  CliUser alice(cluster.accounts_address(), cluster.coordinator_address(), "correct horse pgr",
                cluster.ca_file());
  CliResult signup = alice.Run({"signup", "--handle", "pgrestart"});
  ASSERT_EQ(signup.exit_code, 0) << signup.Describe();
  const std::string data = WriteRandomFile(alice.File("a"), 300 * 1024, 7);
  CliResult put = alice.Run({"--json", "put", alice.File("a"), "--name", "a"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  const std::string id = nlohmann::json::parse(put.out)["id"].get<std::string>();

  // Restart: every pooled connection of every service is now stale. The next put
  // (CommitObject is never repeated by the CLI) and get must simply work.
  ASSERT_TRUE((*pg)->Restart().ok());
  for (int i = 0; i < 3; ++i) {
    CliResult again = alice.Run(
        {"--json", "put", alice.File("a"), "--name", "after-restart-" + std::to_string(i)});
    EXPECT_EQ(again.exit_code, 0) << again.Describe();
  }
  CliResult got = alice.Run({"get", id, "-o", alice.File("back")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_TRUE(ReadFile(alice.File("back")) == data);

  // Down: a service-side database problem, exit 5, and not "is the cluster running?".
  ASSERT_TRUE((*pg)->Stop().ok());
  CliResult down = alice.Run({"ls"}, {}, absl::Seconds(90));
  EXPECT_EQ(down.exit_code, 5) << down.Describe();
  EXPECT_THAT(down.err, HasSubstr("database"));
  EXPECT_THAT(down.err, HasSubstr("service side"));
  EXPECT_THAT(down.err, Not(HasSubstr("Is the cluster running")));
  ASSERT_TRUE((*pg)->StartAgain().ok());
  CliResult ls = alice.Run({"ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.Describe();
  started->reset();  // services stop before the database does
}

}  // namespace
}  // namespace freehold::e2e
