// End to end: an abandoned account on the real cluster (accounts, coordinator, storage
// daemons, PostgreSQL) with a lifecycle of seconds instead of months: signed up with
// the `freehold` CLI, a file put, then silence until it is warned, trashed and
// collected; the coordinator then deletes its objects through the deletion outbox. A
// second account that keeps logging in is never touched.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"

namespace freehold::e2e {
namespace {

class AbandonedAccountEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions o;
    o.accounts_args = {"--inactivity-silence",         "6s",   "--inactivity-grace", "2s",
                       "--inactivity-trash-retention", "2s",   "--maintenance-interval",
                       "250ms"};
    absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(o);
    if (c.ok()) {
      cluster_ = c->release();
    } else {
      start_error_ = new std::string(c.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr) << "cluster did not start: " << *start_error_;
  }
  Cluster& cluster() { return *cluster_; }

  std::unique_ptr<CliUser> User(const std::string& handle) {
    auto u = std::make_unique<CliUser>(cluster().accounts_address(),
                                       cluster().coordinator_address(), TestPassword(handle),
                                       cluster().ca_file());
    CliResult r = u->Run({"signup", "--handle", handle});
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

  static inline Cluster* cluster_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

TEST_F(AbandonedAccountEndToEndTest, SilentAccountIsCollectedAndItsObjectsDeleted) {
  const std::string gone = "gone" + std::to_string(::getpid());
  const std::string kept = "kept" + std::to_string(::getpid());
  std::unique_ptr<CliUser> silent = User(gone);
  std::unique_ptr<CliUser> active = User(kept);
  const std::string file = silent->File("note.txt");
  std::ofstream(file) << "left behind";
  CliResult put = silent->Run({"put", file});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  const std::string owner_query =
      "SELECT count(*) FROM coordinator.objects o JOIN accounts.accounts a "
      "ON a.account_id = o.owner_account_id WHERE a.handle = '" + gone + "'";
  ASSERT_EQ(Sql(owner_query), 1);
  const std::string gone_id_query =
      "SELECT count(*) FROM accounts.deleted_accounts_outbox d JOIN accounts.accounts a "
      "USING (account_id) WHERE a.handle = '" + gone + "'";

  // Silence (6 s) -> warned, +2 s -> trashed, +2 s -> collected. The active account
  // logs in meanwhile (with a 6 s silence the lease is written at most every 0.6 s).
  const absl::Time deadline = absl::Now() + absl::Seconds(40);
  bool collected = false;
  while (absl::Now() < deadline) {
    CliResult r = active->Run({"login", "--handle", kept});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    if (Sql(gone_id_query) == 1) {
      collected = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(collected) << "the silent account was not collected in time";
  v1::GetLifecycleReportResponse report = Report();
  EXPECT_GE(report.warned_total(), 1);
  EXPECT_GE(report.trashed_total(), 1);
  EXPECT_GE(report.collected_total(), 1);
  EXPECT_EQ(report.silence_seconds(), 6);

  // The coordinator consumes the deletion outbox and deletes the objects.
  const absl::Time gc_deadline = absl::Now() + absl::Seconds(20);
  while (Sql(owner_query) != 0 && absl::Now() < gc_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(Sql(owner_query), 0);
  CliResult ls = silent->Run({"ls"});
  EXPECT_NE(ls.exit_code, 0) << ls.Describe();
  EXPECT_EQ(Sql("SELECT count(*) FROM accounts.accounts WHERE handle = '" + kept +
                "' AND deleted_at IS NULL AND trashed_at IS NULL"),
            1);
}

}  // namespace
}  // namespace freehold::e2e
