// Abandoned accounts (core/account_lifecycle.h): the whole cycle (silence -> warning with
// a notification -> trash -> collection through the deletion outbox), opting out by
// logging in, and the once-a-day lease write, driven by the injected clock against the
// in-process service and a real PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tests/accounts/accounts_service_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::accounts::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kDay = absl::Hours(24);

class AbandonedAccountsTest : public AccountsServiceTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    StackConfig config;
    config.lifecycle.silence = 730 * kDay;
    config.lifecycle.grace = 60 * kDay;
    config.lifecycle.trash_retention = 30 * kDay;
    config.lifecycle.batch_size = 2;  // several batches per step
    StartService(std::move(config));
  }

  // Registers `handle` (with `contact` if not empty) and returns its account id.
  std::string Register(const std::string& handle, const std::string& contact) {
    absl::StatusOr<NewAccount> a = MakeAccount(handle, "pw " + handle);
    EXPECT_TRUE(a.ok()) << a.status();
    a->request.set_contact(contact);
    absl::StatusOr<std::string> id = RegisterAccount(stub(), *a);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }
  absl::StatusOr<DeviceLogin> LogIn(const std::string& handle) {
    return LoginWithPassword(stub(), handle, "pw " + handle);
  }
  LifecyclePass Run() {
    absl::StatusOr<LifecyclePass> pass = svc_->lifecycle().RunOnce();
    EXPECT_TRUE(pass.ok()) << pass.status();
    return pass.ok() ? *pass : LifecyclePass{};
  }
  pqxx::result Query(const std::string& sql) {
    pqxx::connection c(db_url());
    pqxx::nontransaction txn(c);
    return txn.exec("SET search_path = accounts; " + sql);
  }
  absl::Time LastSeen(const std::string& id) {
    return absl::FromUnixMicros(
        Query("SELECT (extract(epoch FROM last_seen_at) * 1000000)::bigint FROM accounts "
              "WHERE account_id = '" + id + "'")[0][0]
            .as<int64_t>());
  }
  // (kind, handle, contact) of the notification outbox, by time then handle (one step's
  // rows are in no particular order).
  std::vector<std::string> Notifications() {
    std::vector<std::string> out;
    for (const auto& row : Query("SELECT kind || ' ' || handle || ' ' || contact "
                                 "FROM notification_outbox ORDER BY created_at, handle")) {
      out.push_back(row[0].as<std::string>());
    }
    return out;
  }
  v1::GetLifecycleReportResponse Report() {
    v1::GetLifecycleReportResponse resp;
    grpc::Status s = stub().GetLifecycleReport(PlainContext().get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  std::vector<std::string> DeletedIds() {
    v1::ListDeletedAccountsRequest req;
    v1::ListDeletedAccountsResponse resp;
    grpc::Status s = stub().ListDeletedAccounts(PlainContext().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const auto& a : resp.accounts()) out.push_back(a.account_id());
    return out;
  }
};

TEST_F(AbandonedAccountsTest, SilentAccountIsWarnedTrashedThenCollectedUnlessItsOwnerLogsIn) {
  FakeClock& clock = svc_->clock();
  const std::string ann = Register("ann", "ann@example.org");  // silent: collected
  const std::string bob = Register("bob", "");                 // back while warned
  const std::string dan = Register("dan", "dan@example.org");  // back while trashed
  const std::string cat = Register("cat", "cat@example.org");  // active: never warned
  ASSERT_OK(LogIn("ann").status());

  clock.Advance(729 * kDay);
  EXPECT_EQ(Run().warned, 0);
  ASSERT_OK(LogIn("cat").status());  // renews cat's lease

  clock.Advance(2 * kDay);  // 731 days of silence for ann, bob, dan
  LifecyclePass warned = Run();
  EXPECT_EQ(warned.warned, 3);
  EXPECT_EQ(warned.trashed, 0);
  // Only the accounts with a contact address get mail; bob gave none.
  EXPECT_THAT(Notifications(), ElementsAre("inactivity_warning ann ann@example.org",
                                           "inactivity_warning dan dan@example.org"));
  EXPECT_EQ(Query("SELECT count(*) FROM notification_outbox WHERE act_at = "
                  "created_at + interval '60 days'")[0][0]
                .as<int>(),
            2);
  EXPECT_EQ(Report().warned_now(), 3);
  EXPECT_EQ(Run().warned, 0);  // warned once

  clock.Advance(30 * kDay);
  ASSERT_OK(LogIn("bob").status());  // opts out: the warning is cleared
  EXPECT_EQ(Report().renewed_total(), 1);

  clock.Advance(29 * kDay);
  EXPECT_EQ(Run().trashed, 0);  // 59 days after the warning
  clock.Advance(2 * kDay);
  LifecyclePass trashed = Run();
  EXPECT_EQ(trashed.trashed, 2);  // ann and dan
  EXPECT_EQ(trashed.collected, 0);
  EXPECT_EQ(Query("SELECT count(*) FROM sessions WHERE account_id = '" + ann +
                  "' AND revoke_reason = 'inactive'")[0][0]
                .as<int>(),
            1);
  EXPECT_THAT(Notifications(), ElementsAre("inactivity_warning ann ann@example.org",
                                           "inactivity_warning dan dan@example.org",
                                           "inactivity_trashed ann ann@example.org",
                                           "inactivity_trashed dan dan@example.org"));
  v1::GetLifecycleReportResponse mid = Report();
  EXPECT_EQ(mid.trashed_now(), 2);
  EXPECT_EQ(mid.warned_now(), 0);

  clock.Advance(10 * kDay);
  ASSERT_OK(LogIn("dan").status());  // back from the trash before collection

  clock.Advance(21 * kDay);  // 31 days in the trash for ann
  LifecyclePass collected = Run();
  EXPECT_EQ(collected.collected, 1);
  EXPECT_THAT(DeletedIds(), ElementsAre(ann));
  // Collected like a deletion: the handle no longer logs in, no contact is left behind.
  EXPECT_FALSE(LogIn("ann").ok());
  EXPECT_EQ(Query("SELECT count(*) FROM notification_outbox WHERE account_id = '" + ann + "'")[0][0]
                .as<int>(),
            0);
  EXPECT_TRUE(Query("SELECT contact FROM accounts WHERE account_id = '" + ann + "'")[0][0]
                  .is_null());
  for (const std::string& id : {bob, dan, cat}) {
    EXPECT_TRUE(Query("SELECT deleted_at IS NULL AND warned_at IS NULL AND trashed_at IS NULL "
                      "FROM accounts WHERE account_id = '" + id + "'")[0][0]
                    .as<bool>())
        << id;
  }

  v1::GetLifecycleReportResponse end = Report();
  EXPECT_TRUE(end.enabled());
  EXPECT_EQ(end.silence_seconds(), absl::ToInt64Seconds(730 * kDay));
  EXPECT_EQ(end.grace_seconds(), absl::ToInt64Seconds(60 * kDay));
  EXPECT_EQ(end.trash_retention_seconds(), absl::ToInt64Seconds(30 * kDay));
  EXPECT_EQ(end.warned_total(), 3);
  EXPECT_EQ(end.trashed_total(), 2);
  EXPECT_EQ(end.collected_total(), 1);
  EXPECT_EQ(end.renewed_total(), 2);
  EXPECT_EQ(end.warned_now(), 0);
  EXPECT_EQ(end.trashed_now(), 0);
}

TEST_F(AbandonedAccountsTest, LeaseIsWrittenAtMostOnceADayByLoginsAndRefreshes) {
  FakeClock& clock = svc_->clock();
  const std::string id = Register("eve", "");
  const absl::Time created = clock.Now();
  EXPECT_EQ(LastSeen(id), created);

  clock.Advance(absl::Hours(23));
  ASSERT_OK_AND_ASSIGN(DeviceLogin login, LogIn("eve"));
  EXPECT_EQ(LastSeen(id), created);  // renewed less than a day ago: no write

  clock.Advance(absl::Hours(2));
  v1::RefreshRequest req;
  req.set_refresh_token(login.response.tokens().refresh_token());
  v1::RefreshResponse resp;
  ASSERT_TRUE(stub().Refresh(PlainContext().get(), req, &resp).ok());
  EXPECT_EQ(LastSeen(id), clock.Now());  // a refresh renews

  const absl::Time renewed = clock.Now();
  clock.Advance(absl::Hours(1));
  ASSERT_OK(LogIn("eve").status());
  EXPECT_EQ(LastSeen(id), renewed);

  clock.Advance(kDay);
  ASSERT_OK(LogIn("eve").status());
  EXPECT_EQ(LastSeen(id), clock.Now());
}

TEST_F(AbandonedAccountsTest, RecoveryKeyLoginTakesATrashedAccountBack) {
  FakeClock& clock = svc_->clock();
  absl::StatusOr<NewAccount> a = MakeAccount("fay", "pw fay");
  ASSERT_OK(a.status());
  ASSERT_OK_AND_ASSIGN(std::string id, RegisterAccount(stub(), *a));
  clock.Advance(731 * kDay);
  EXPECT_EQ(Run().warned, 1);
  clock.Advance(61 * kDay);
  EXPECT_EQ(Run().trashed, 1);

  v1::GetRecoveryChallengeRequest creq;
  creq.set_handle("fay");
  v1::GetRecoveryChallengeResponse challenge;
  ASSERT_TRUE(stub().GetRecoveryChallenge(PlainContext().get(), creq, &challenge).ok());
  ASSERT_OK_AND_ASSIGN(std::string proof,
                       ClientRecoveryProof(a->identity, challenge.ephemeral_public(),
                                           challenge.challenge()));
  v1::RecoverRequest rreq;
  rreq.set_handle("fay");
  rreq.set_challenge(challenge.challenge());
  rreq.set_proof(proof);
  *rreq.mutable_new_kdf() = a->request.kdf();
  rreq.set_new_salt(a->request.salt());
  rreq.set_new_auth_key(a->auth_key);
  rreq.set_new_wrapped_identity(a->request.wrapped_identity());
  v1::RecoverResponse rresp;
  grpc::Status s = stub().Recover(PlainContext().get(), rreq, &rresp);
  ASSERT_TRUE(s.ok()) << s.error_message();

  clock.Advance(31 * kDay);
  EXPECT_EQ(Run().collected, 0);
  EXPECT_TRUE(DeletedIds().empty());
  EXPECT_EQ(Report().renewed_total(), 1);
}

// The trashed-accounts outbox (migration 0009) the coordinator consumes: a TRASH row per
// trashed account (collect_at = trashed + retention), a RESTORE row when a trashed
// account's owner logs in, nothing for a warned-only renewal or for the collection
// (that is the deletion outbox); rows in sequence order, paged, acked, inputs checked.
TEST_F(AbandonedAccountsTest, TrashAndRestoreGoToTheTrashedAccountsOutboxForTheCoordinator) {
  FakeClock& clock = svc_->clock();
  const std::string ann = Register("ann", "");  // trashed, then collected
  const std::string dan = Register("dan", "");  // trashed, then back
  const std::string bob = Register("bob", "");  // back while only warned
  clock.Advance(731 * kDay);
  EXPECT_EQ(Run().warned, 3);
  clock.Advance(kDay);
  ASSERT_OK(LogIn("bob").status());
  clock.Advance(60 * kDay);
  const absl::Time trashed_at = clock.Now();
  EXPECT_EQ(Run().trashed, 2);

  auto list = [&](int64_t after, uint32_t limit) {
    v1::ListTrashedAccountsRequest req;
    req.set_after_sequence(after);
    req.set_limit(limit);
    v1::ListTrashedAccountsResponse resp;
    grpc::Status s = stub().ListTrashedAccounts(PlainContext().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  v1::ListTrashedAccountsResponse first = list(0, 0);
  ASSERT_EQ(first.accounts_size(), 2);
  std::vector<std::string> trashed;
  for (const v1::TrashedAccount& a : first.accounts()) {
    EXPECT_EQ(a.action(), v1::TrashedAccount::TRASH);
    EXPECT_EQ(a.at().seconds(), absl::ToUnixSeconds(trashed_at));
    EXPECT_EQ(a.collect_at().seconds(), absl::ToUnixSeconds(trashed_at + 30 * kDay));
    trashed.push_back(a.account_id());
  }
  EXPECT_THAT(trashed, UnorderedElementsAre(ann, dan));
  EXPECT_LT(first.accounts(0).sequence(), first.accounts(1).sequence());
  // Paging: one at a time, after a sequence.
  v1::ListTrashedAccountsResponse page = list(0, 1);
  ASSERT_EQ(page.accounts_size(), 1);
  EXPECT_EQ(page.accounts(0).sequence(), first.accounts(0).sequence());
  EXPECT_EQ(list(first.accounts(1).sequence(), 0).accounts_size(), 0);

  clock.Advance(10 * kDay);
  ASSERT_OK(LogIn("dan").status());  // back from the trash: a RESTORE row
  v1::ListTrashedAccountsResponse after = list(first.accounts(1).sequence(), 0);
  ASSERT_EQ(after.accounts_size(), 1);
  EXPECT_EQ(after.accounts(0).account_id(), dan);
  EXPECT_EQ(after.accounts(0).action(), v1::TrashedAccount::RESTORE);
  EXPECT_EQ(after.accounts(0).at().seconds(), absl::ToUnixSeconds(clock.Now()));
  EXPECT_FALSE(after.accounts(0).has_collect_at());

  clock.Advance(21 * kDay);
  EXPECT_EQ(Run().collected, 1);  // ann: through the deletion outbox, not this one
  EXPECT_THAT(DeletedIds(), ElementsAre(ann));
  EXPECT_EQ(list(0, 0).accounts_size(), 3);

  v1::AckTrashedAccountsRequest ack;
  v1::AckTrashedAccountsResponse ack_resp;
  ack.set_up_to_sequence(after.accounts(0).sequence());
  ack.set_consumer("Coordinator!");
  grpc::Status bad = stub().AckTrashedAccounts(PlainContext().get(), ack, &ack_resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), ::testing::HasSubstr("consumer"));
  ack.set_consumer("coordinator");
  ASSERT_TRUE(stub().AckTrashedAccounts(PlainContext().get(), ack, &ack_resp).ok());
  ack.set_up_to_sequence(1);  // never moves back
  ASSERT_TRUE(stub().AckTrashedAccounts(PlainContext().get(), ack, &ack_resp).ok());
  EXPECT_EQ(Query("SELECT acked_sequence FROM outbox_consumers WHERE consumer = "
                  "'trashed-accounts/coordinator'")[0][0]
                .as<int64_t>(),
            after.accounts(0).sequence());
  v1::ListTrashedAccountsRequest negative;
  negative.set_after_sequence(-1);
  v1::ListTrashedAccountsResponse unused;
  grpc::Status neg = stub().ListTrashedAccounts(PlainContext().get(), negative, &unused);
  EXPECT_EQ(neg.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(neg.error_message(), ::testing::HasSubstr("after_sequence"));
}

// GetLifecycleReport needs no authentication: it answers from a report at most
// --lifecycle-report-cache old instead of querying the database on every call.
TEST_F(AbandonedAccountsTest, LifecycleReportIsCachedForTheConfiguredTime) {
  FakeClock& clock = svc_->clock();
  const int64_t before = Report().warned_total();
  Query("UPDATE lifecycle_totals SET total = total + 7 WHERE stage = 'warned'");
  EXPECT_EQ(Report().warned_total(), before);  // from the cache
  clock.Advance(absl::Seconds(4));
  EXPECT_EQ(Report().warned_total(), before);
  clock.Advance(absl::Seconds(1));  // 5 s: read again
  EXPECT_EQ(Report().warned_total(), before + 7);
}

TEST_F(AbandonedAccountsTest, ZeroSilenceDisablesTheLifecycle) {
  svc_.reset();
  StackConfig config;
  config.lifecycle.silence = absl::ZeroDuration();
  StartService(std::move(config));
  Register("gus", "gus@example.org");
  svc_->clock().Advance(3650 * kDay);
  LifecyclePass pass = Run();
  EXPECT_EQ(pass.warned + pass.trashed + pass.collected, 0);
  EXPECT_FALSE(Report().enabled());
  EXPECT_TRUE(Notifications().empty());
}

TEST(LifecyclePolicyTest, ValidateNamesTheFlag) {
  LifecyclePolicy p;
  EXPECT_OK(p.Validate());
  p.grace = absl::ZeroDuration();
  EXPECT_THAT(p.Validate().message(), ::testing::HasSubstr("--inactivity-grace"));
  p = LifecyclePolicy{};
  p.silence = -kDay;
  EXPECT_THAT(p.Validate().message(), ::testing::HasSubstr("--inactivity-silence"));
  p = LifecyclePolicy{};
  p.trash_retention = absl::ZeroDuration();
  EXPECT_THAT(p.Validate().message(), ::testing::HasSubstr("--inactivity-trash-retention"));
  p = LifecyclePolicy{};
  p.report_cache = -absl::Seconds(1);
  EXPECT_THAT(p.Validate().message(), ::testing::HasSubstr("--lifecycle-report-cache"));
}

}  // namespace
}  // namespace freehold::accounts::testing
