// End to end: an abandoned account on the real cluster (accounts, coordinator, six
// storage daemons, PostgreSQL; real processes on loopback) with a lifecycle of seconds
// instead of months (the injected durations: silence 6 s, grace 2 s, trash retention
// 6 s; PUT grants 10 s). Signed up with the `freehold` CLI with a contact address, a
// sharded file put and shared by public link, then:
//   silence -> warned (a row in the notification outbox)
//   grace   -> trashed: the coordinator moved the file to its trash through the
//              trashed-accounts outbox (not readable, not even by its link)
//   a login during the trash period -> renewed: the file comes back, byte-exact, and its
//              link works again
//   silence again -> warned, trashed, collected (the deletion outbox): the object is
//              gone and its shards are gone from every daemon's disk
// and GetLifecycleReport counts exactly warned 2, trashed 2, collected 1, renewed 1. A
// second account that keeps logging in is never touched. About 40 s.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/probes.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

class AbandonedAccountEndToEndTest : public ClusterTest<6, 3> {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions o = Options();
    o.accounts_args = {"--inactivity-silence",   "6s",    "--inactivity-grace",
                       "2s",                     "--inactivity-trash-retention",
                       "6s",                     "--maintenance-interval",
                       "250ms",                  "--lifecycle-report-cache",
                       "1s"};
    o.coordinator_args = {"--grant-ttl", "10s"};
    StartWith(o);
  }

  std::unique_ptr<CliUser> User(const std::string& handle, const std::string& contact) {
    auto u = std::make_unique<CliUser>(cluster().accounts_address(),
                                       cluster().coordinator_address(), TestPassword(handle),
                                       cluster().ca_file());
    std::vector<std::string> args = {"signup", "--handle", handle};
    if (!contact.empty()) args.insert(args.end(), {"--contact", contact});
    CliResult r = u->Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return u;
  }
  int64_t Sql(const std::string& query) {
    pqxx::connection c(cluster().database_url());
    pqxx::work w(c);
    pqxx::row r = w.exec1(query);
    w.commit();
    return r[0].is_null() ? 0 : r[0].as<int64_t>();
  }
  v1::GetLifecycleReportResponse Report() {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        MakeChannel(cluster().accounts_address(), cluster().client_tls());
    EXPECT_TRUE(ch.ok()) << ch.status();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetLifecycleReportResponse resp;
    grpc::Status s = v1::Accounts::NewStub(*ch)->GetLifecycleReport(&ctx, {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  // Shard files of `object_id` over every daemon's disk.
  int ShardsOnDisk(const std::string& object_id) {
    int n = 0;
    const std::string prefix = HexOfUuid(object_id) + "-";
    for (int i = 0; i < cluster().node_count(); ++i) {
      for (const auto& [key, path] : ShardFiles(cluster().node_data_dir(i))) {
        if (absl::StartsWith(key, prefix)) ++n;
      }
    }
    return n;
  }
  // Polls `done` until it holds or `limit` passes; meanwhile `active` keeps logging in
  // (with a 6 s silence its lease is written at most every 0.6 s).
  bool WaitFor(const std::function<bool()>& done, absl::Duration limit, CliUser& active,
               const std::string& active_handle) {
    const absl::Time deadline = absl::Now() + limit;
    absl::Time next_login = absl::InfinitePast();
    while (absl::Now() < deadline) {
      if (done()) return true;
      if (absl::Now() >= next_login) {
        CliResult r = active.Run({"login", "--handle", active_handle});
        EXPECT_EQ(r.exit_code, 0) << r.Describe();
        next_login = absl::Now() + absl::Seconds(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }

};

TEST_F(AbandonedAccountEndToEndTest, SilenceTrashLoginRestoresThenSilenceCollectsEveryShard) {
  const std::string gone = "gone" + std::to_string(::getpid());
  const std::string kept = "kept" + std::to_string(::getpid());
  std::unique_ptr<CliUser> silent = User(gone, gone + "@example.org");
  std::unique_ptr<CliUser> active = User(kept, "");
  // 300 KB: one segment of 4+2 shards on the six daemons.
  const std::string data = WriteRandomFile(silent->File("note.bin"), 300000, 21);
  CliResult put = silent->Run({"put", silent->File("note.bin")});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  CliResult link = silent->Run({"link", "note.bin"});
  ASSERT_EQ(link.exit_code, 0) << link.Describe();
  const std::string url(absl::StripAsciiWhitespace(link.out));
  CliUser stranger(cluster().accounts_address(), cluster().coordinator_address(), "",
                   cluster().ca_file());
  auto fetch = [&] {
    return stranger.Run({"fetch", url, "-o", stranger.File("fetched.bin")});
  };
  ASSERT_EQ(fetch().exit_code, 0);

  const std::string account = "(SELECT account_id FROM accounts.accounts WHERE handle = '" +
                              gone + "')";
  pqxx::connection c(cluster().database_url());
  pqxx::work w(c);
  const std::string object_id =
      w.exec1("SELECT object_id::text FROM coordinator.objects WHERE owner_account_id = " +
              account)[0]
          .as<std::string>();
  w.commit();
  ASSERT_EQ(ShardsOnDisk(object_id), 6);
  const std::string object = "coordinator.objects WHERE object_id = '" + object_id + "'";
  auto warnings = [&] {
    return Sql("SELECT count(*) FROM accounts.notification_outbox WHERE kind = "
               "'inactivity_warning' AND account_id = " + account);
  };

  // 1. Silence: warned through the contact address (the mailer's outbox).
  ASSERT_TRUE(WaitFor([&] { return warnings() == 1; }, absl::Seconds(20), *active, kept))
      << "the silent account was not warned";
  // 2. Grace: trashed; the coordinator moved the file into its trash.
  ASSERT_TRUE(WaitFor([&] { return Sql("SELECT count(*) FROM " + object +
                                       " AND trashed_at IS NOT NULL AND trashed_with_account") == 1; },
                      absl::Seconds(10), *active, kept))
      << "the trashed account's object did not reach the coordinator's trash";
  CliResult hidden = fetch();
  EXPECT_NE(hidden.exit_code, 0) << hidden.Describe();
  EXPECT_THAT(hidden.err, HasSubstr("no longer works"));
  EXPECT_EQ(ShardsOnDisk(object_id), 6);  // kept while restorable

  // 3. The owner logs in during the trash period: the account and the file come back.
  CliResult login = silent->Run({"login", "--handle", gone});
  ASSERT_EQ(login.exit_code, 0) << login.Describe();
  ASSERT_TRUE(WaitFor([&] { return Sql("SELECT count(*) FROM " + object +
                                       " AND trashed_at IS NULL") == 1; },
                      absl::Seconds(10), *active, kept))
      << "the renewed account's object was not restored";
  CliResult get = silent->Run({"get", "note.bin", "-o", silent->File("back.bin")});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_EQ(ReadFile(silent->File("back.bin")), data);
  ASSERT_EQ(fetch().exit_code, 0);
  EXPECT_EQ(ReadFile(stranger.File("fetched.bin")), data);

  // 4. Silence again: warned, trashed, collected; the object and every shard go.
  ASSERT_TRUE(WaitFor([&] { return Sql("SELECT count(*) FROM accounts.deleted_accounts_outbox "
                                       "WHERE account_id = " + account) == 1; },
                      absl::Seconds(30), *active, kept))
      << "the silent account was not collected";
  EXPECT_EQ(warnings(), 0);  // the contact address left with the account
  ASSERT_TRUE(WaitFor([&] { return Sql("SELECT count(*) FROM " + object) == 0 &&
                                   ShardsOnDisk(object_id) == 0; },
                      absl::Seconds(20), *active, kept))
      << "shards left on disk: " << ShardsOnDisk(object_id);
  EXPECT_NE(silent->Run({"login", "--handle", gone}).exit_code, 0);
  EXPECT_NE(fetch().exit_code, 0);

  v1::GetLifecycleReportResponse report;
  ASSERT_TRUE(WaitFor([&] { report = Report(); return report.collected_total() == 1; },
                      absl::Seconds(5), *active, kept));
  EXPECT_EQ(report.warned_total(), 2);
  EXPECT_EQ(report.trashed_total(), 2);
  EXPECT_EQ(report.collected_total(), 1);
  EXPECT_EQ(report.renewed_total(), 1);
  EXPECT_EQ(report.silence_seconds(), 6);
  EXPECT_EQ(report.trash_retention_seconds(), 6);
  EXPECT_EQ(Sql("SELECT count(*) FROM accounts.accounts WHERE handle = '" + kept +
                "' AND deleted_at IS NULL AND warned_at IS NULL"),
            1);
}

}  // namespace
}  // namespace freehold::e2e
