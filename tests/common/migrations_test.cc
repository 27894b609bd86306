// MigrationRunner against a real PostgreSQL.
#include "common/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "freehold_embedded/common_pg_test_migrations.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kV1Dir = std::string(FREEHOLD_TESTDATA_DIR) + "/migrations_v1";
const std::string kV2Dir = std::string(FREEHOLD_TESTDATA_DIR) + "/migrations_v2";

std::vector<Migration> Load(const std::string& dir) {
  absl::StatusOr<std::vector<Migration>> m = LoadMigrationsFromDirectory(dir);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : std::vector<Migration>{};
}

class MigrationsTest : public ::freehold::testing::PostgresTest {
 protected:
  PgPoolOptions Options() {
    PgPoolOptions o;
    o.connection_string = db_url();
    o.size = 2;
    return o;
  }
};

TEST(MigrationFilesTest, ParsesVersionsFromFileNames) {
  ASSERT_OK_AND_ASSIGN(int v, MigrationVersionFromFileName("0042_add_things.sql"));
  EXPECT_EQ(v, 42);
  for (const char* bad : {"add.sql", "0000_zero.sql", "x1_a.sql", "0001_a.txt", "_a.sql"}) {
    EXPECT_THAT(MigrationVersionFromFileName(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(LoadMigrationsFromDirectory("/nonexistent/dir"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(MigrationFilesTest, EmbeddedMigrationsMatchTheFiles) {
  const std::vector<Migration> files = Load(kV2Dir);
  const std::vector<Migration> embedded = embedded::common_pg_test_migrations();
  ASSERT_EQ(embedded.size(), 2u);
  ASSERT_EQ(files.size(), embedded.size());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(embedded[i].version, files[i].version);
    EXPECT_EQ(embedded[i].name, files[i].name);
    EXPECT_EQ(embedded[i].sql, files[i].sql);
  }
  EXPECT_EQ(embedded[1].name, "0002_add_size.sql");
}

TEST_F(MigrationsTest, AppliesAllAndRecordsThem) {
  PgPool pool(Options());
  MigrationRunner runner(pool, "svc", embedded::common_pg_test_migrations());
  EXPECT_EQ(runner.LatestKnownVersion(), 2);
  ASSERT_OK_AND_ASSIGN(int before, runner.CurrentVersion());
  EXPECT_EQ(before, 0);
  ASSERT_OK_AND_ASSIGN(int applied, runner.Apply());
  EXPECT_EQ(applied, 2);
  ASSERT_OK_AND_ASSIGN(int after, runner.CurrentVersion());
  EXPECT_EQ(after, 2);
  ASSERT_OK_AND_ASSIGN(std::string rows, pool.RunReadOnly([](PgTxn& txn) {
    return txn
        .exec1(
            "SELECT string_agg(version || ':' || name || ':' || length(checksum), ',' "
            "ORDER BY version) FROM svc.schema_migrations")[0]
        .as<std::string>();
  }));
  EXPECT_EQ(rows, "1:0001_init.sql:64,2:0002_add_size.sql:64");
  // Unqualified names in the SQL landed in the schema.
  EXPECT_OK(
      pool.Run([](PgTxn& txn) { txn.exec("INSERT INTO svc.items (name, size) VALUES ('a', 1)"); }));
}

TEST_F(MigrationsTest, IsIdempotent) {
  PgPool pool(Options());
  MigrationRunner runner(pool, "svc", Load(kV2Dir));
  ASSERT_OK_AND_ASSIGN(int first, runner.Apply());
  ASSERT_OK_AND_ASSIGN(int second, runner.Apply());
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 0);
}

TEST_F(MigrationsTest, UpgradesAnOlderSchema) {
  PgPool pool(Options());
  MigrationRunner v1(pool, "svc", Load(kV1Dir));
  ASSERT_OK_AND_ASSIGN(int a, v1.Apply());
  EXPECT_EQ(a, 1);
  MigrationRunner v2(pool, "svc", Load(kV2Dir));
  ASSERT_OK_AND_ASSIGN(int b, v2.Apply());
  EXPECT_EQ(b, 1);
  ASSERT_OK_AND_ASSIGN(int version, v2.CurrentVersion());
  EXPECT_EQ(version, 2);
}

TEST_F(MigrationsTest, ConcurrentRunnersApplyEachMigrationOnce) {
  constexpr int kRunners = 4;
  std::atomic<int> total{0}, failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRunners; ++i) {
    threads.emplace_back([&] {
      PgPool pool(Options());
      MigrationRunner runner(pool, "svc", Load(kV2Dir));
      absl::StatusOr<int> n = runner.Apply();
      if (n.ok()) {
        total += *n;
      } else {
        ++failures;
        ADD_FAILURE() << n.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(total.load(), 2);
  PgPool pool(Options());
  ASSERT_OK_AND_ASSIGN(int rows, pool.RunReadOnly([](PgTxn& txn) {
    return txn.exec1("SELECT count(*) FROM svc.schema_migrations")[0].as<int>();
  }));
  EXPECT_EQ(rows, 2);
}

TEST_F(MigrationsTest, RefusesSchemaNewerThanTheBinary) {
  PgPool pool(Options());
  MigrationRunner v2(pool, "svc", Load(kV2Dir));
  ASSERT_OK(v2.Apply());
  MigrationRunner v1(pool, "svc", Load(kV1Dir));
  EXPECT_THAT(v1.Apply(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("newer than the newest this binary knows")));
}

TEST_F(MigrationsTest, DetectsAnEditedAppliedMigration) {
  PgPool pool(Options());
  ASSERT_OK(MigrationRunner(pool, "svc", Load(kV1Dir)).Apply());
  std::vector<Migration> edited = Load(kV2Dir);
  edited[0].sql += "\n-- sneaky edit\n";
  MigrationRunner runner(pool, "svc", edited);
  EXPECT_THAT(runner.Apply(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       HasSubstr("0001_init.sql (version 1) has changed")));
  ASSERT_OK_AND_ASSIGN(int version, runner.CurrentVersion());
  EXPECT_EQ(version, 1);  // nothing applied
}

TEST_F(MigrationsTest, AcceptsACommentEditThatDeclaresThePreviousChecksum) {
  PgPool pool(Options());
  ASSERT_OK(MigrationRunner(pool, "svc", Load(kV1Dir)).Apply());
  std::vector<Migration> edited = Load(kV2Dir);
  const std::string before = MigrationChecksum(edited[0].sql);
  edited[0].sql += "\n-- a clearer comment\n-- freehold:previous-checksum " + before + "\n";
  ASSERT_OK_AND_ASSIGN(int applied, MigrationRunner(pool, "svc", edited).Apply());
  EXPECT_EQ(applied, 1);  // 0002 of v2; 0001 accepted, not re-run
  // The record now holds the new text's checksum: a runner with the same files is happy...
  ASSERT_OK(MigrationRunner(pool, "svc", edited).Apply());
  // ...and one with a further, undeclared edit is refused.
  std::vector<Migration> again = edited;
  again[0].sql += "-- another edit\n";
  EXPECT_THAT(MigrationRunner(pool, "svc", again).Apply(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has changed")));
}

TEST_F(MigrationsTest, AWrongDeclaredChecksumDoesNotExcuseAnEdit) {
  PgPool pool(Options());
  ASSERT_OK(MigrationRunner(pool, "svc", Load(kV1Dir)).Apply());
  std::vector<Migration> edited = Load(kV2Dir);
  edited[0].sql += "\n-- freehold:previous-checksum " + std::string(64, 'a') + "\n";
  EXPECT_THAT(MigrationRunner(pool, "svc", edited).Apply(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has changed")));
}

TEST(MigrationFilesTest, ReadsDeclaredPreviousChecksums) {
  const std::string a(64, 'a'), b = std::string(63, 'B') + "0";
  EXPECT_THAT(DeclaredPreviousChecksums("-- freehold:previous-checksum " + a +
                                        "\nSELECT 1;\n-- freehold:previous-checksum " + b +
                                        " \n-- freehold:previous-checksum xyz\n"),
              ::testing::ElementsAre(a, std::string(63, 'b') + "0"));
}

TEST_F(MigrationsTest, FailingMigrationRollsBackEntirely) {
  PgPool pool(Options());
  std::vector<Migration> ms = Load(kV1Dir);
  ms.push_back(
      Migration{2, "0002_broken.sql", "CREATE TABLE half (id int); SELECT no_such_function();"});
  MigrationRunner runner(pool, "svc", ms);
  EXPECT_THAT(runner.Apply(), StatusIs(absl::StatusCode::kInternal, HasSubstr("0002_broken.sql")));
  ASSERT_OK_AND_ASSIGN(int version, runner.CurrentVersion());
  EXPECT_EQ(version, 1);
  ASSERT_OK_AND_ASSIGN(bool half_exists, pool.RunReadOnly([](PgTxn& txn) {
    return txn.exec1("SELECT to_regclass('svc.half') IS NOT NULL")[0].as<bool>();
  }));
  EXPECT_FALSE(half_exists);
}

TEST_F(MigrationsTest, RejectsBadSchemaNameAndDuplicateVersions) {
  PgPool pool(Options());
  EXPECT_THAT(MigrationRunner(pool, "bad-name; DROP", Load(kV1Dir)).Apply(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<Migration> dup = Load(kV1Dir);
  dup.push_back(dup[0]);
  EXPECT_THAT(MigrationRunner(pool, "svc", dup).Apply(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("same version")));
}

}  // namespace
}  // namespace freehold
