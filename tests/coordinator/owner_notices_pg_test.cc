// Notices to owners of links disabled after an abuse report, over real PostgreSQL
// (coordinator/core/owner_notices.h, services/accounts/core/owner_notices.h; coordinator
// migration 0018_notify, accounts 0011_notify). Both schemas live in one test database
// as in the local cluster; the coordinator's sender hands its outbox to the real
// accounts core and store in process (the gRPC skin, Accounts.RecordOwnerNotices, is
// exercised by tests/e2e/abuse_e2e_test.cc). Checked: the disable and its notice commit
// together; a "restart" (new pools, queue and sender) before delivery loses nothing; a
// lost answer after accounts committed makes the batch go again and writes no second
// row; owners without a contact get no row; an organization's owners and admins are
// told, its plain members not; bad notices are refused naming the field, writing
// nothing.
#include <gtest/gtest.h>

#include <functional>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "coordinator/core/abuse_desk.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/owner_notices.h"
#include "coordinator/pg/pg_abuse_store.h"
#include "coordinator/pg/pg_owner_notices.h"
#include "services/accounts/core/owner_notices.h"
#include "services/accounts/pg/pg_account_repository.h"
#include "services/accounts/pg/pg_owner_notice_store.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

// The coordinator's sink wired straight to accounts' core (what the RPC does).
class InProcessAccountsSink : public OwnerNoticeSink {
 public:
  explicit InProcessAccountsSink(accounts::OwnerNotices& notices) : notices_(notices) {}
  absl::Status Deliver(const std::vector<OwnerNotice>& notices) override {
    std::vector<accounts::OwnerNoticeInput> in;
    for (const OwnerNotice& n : notices) {
      in.push_back({n.notice_id, n.kind, n.owner_id, n.object_id, n.reason_category,
                    n.occurred_at});
    }
    absl::StatusOr<accounts::OwnerNoticeOutcome> r = notices_.Record(in);
    if (!r.ok()) return r.status();
    ++calls;
    new_notices += r->new_notices;
    outbox_rows += r->outbox_rows;
    // The answer is lost after accounts committed (the coordinator died, the network
    // dropped it): the coordinator must treat the batch as undelivered.
    if (lose_answer) return absl::UnavailableError("answer lost");
    return absl::OkStatus();
  }
  bool lose_answer = false;
  int calls = 0;
  int64_t new_notices = 0;
  int64_t outbox_rows = 0;

 private:
  accounts::OwnerNotices& notices_;
};

class OwnerNoticesPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    accounts_pool_ = std::make_unique<PgPool>(accounts::AccountsPoolOptions(db_url(), 2));
    ASSERT_OK(accounts::MigrateAccountsSchema(*accounts_pool_));
    abuse_store_ = std::make_unique<PgAbuseStore>(*pool_);
    desk_ = std::make_unique<AbuseDesk>(*abuse_store_, clock_, nullptr, log_);
    notice_store_ = std::make_unique<accounts::PgOwnerNoticeStore>(*accounts_pool_);
    notices_ = std::make_unique<accounts::OwnerNotices>(*notice_store_, clock_);
    sink_ = std::make_unique<InProcessAccountsSink>(*notices_);
    AddNodes(6);
  }
  void TearDown() override {
    sink_.reset();
    notices_.reset();
    notice_store_.reset();
    desk_.reset();
    abuse_store_.reset();
    accounts_pool_.reset();
    CoordinatorPgTest::TearDown();
  }

  void Exec(const std::string& sql) {
    pqxx::connection c(db_url());
    pqxx::work w(c);
    w.exec0(sql);
    w.commit();
  }
  // An account in accounts' schema; `contact` empty = none given.
  std::string Account(const std::string& handle, const std::string& contact) {
    const std::string id = NewUuid();
    Exec(absl::StrCat(
        "INSERT INTO accounts.accounts (account_id, handle, salt, kdf_ops_limit, kdf_mem_limit, "
        "kdf_algorithm, verifier, wrapped_identity, public_key, contact, created_at, updated_at) "
        "VALUES ('", id, "', '", handle, "', decode(repeat('00', 16), 'hex'), 3, 268435456, "
        "'argon2id13', decode(repeat('11', 32), 'hex'), '\\x01'::bytea, 'age1test', ",
        contact.empty() ? "NULL" : "'" + contact + "'", ", now(), now())"));
    return id;
  }
  std::string Org(const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& members) {
    const std::string id = NewUuid();
    Exec(absl::StrCat("INSERT INTO accounts.organizations (org_id, name, public_key, generation, "
                      "created_by, created_at, updated_at) VALUES ('", id, "', '", name,
                      "', 'age1org', 1, '", members[0].first, "', now(), now())"));
    for (const auto& [account, role] : members) {
      Exec(absl::StrCat("INSERT INTO accounts.org_members (org_id, account_id, role, added_at) "
                        "VALUES ('", id, "', '", account, "', '", role, "', now())"));
    }
    return id;
  }
  // A committed object of `owner_id` with its public link on, reported and disabled.
  std::string DisabledLink(const std::string& owner_id, const std::string& category) {
    Caller owner{owner_id, {"storage"}};
    absl::StatusOr<std::string> id = UploadObject(owner, 5000);
    EXPECT_OK(id.status());
    if (!id.ok()) return "";
    EXPECT_OK(catalog_->SetPublicLink(owner, *id, true, "age-header-with-link").status());
    absl::StatusOr<std::string> report = desk_->Report(
        ReportInput{*id, category, "secret details of the report", "reporter@example.org"},
        absl::StrCat("10.0.", ++networks_, ".0/24"));
    EXPECT_OK(report.status());
    if (!report.ok()) return "";
    EXPECT_OK(desk_->DisableLink(*report, "operator's private note").status());
    return *id;
  }
  int64_t Rows(const std::string& account_id) {
    return Count(absl::StrCat("SELECT count(*) FROM accounts.notification_outbox WHERE "
                              "kind = 'link_disabled' AND account_id = '", account_id, "'"));
  }

  std::unique_ptr<PgPool> accounts_pool_;
  std::unique_ptr<PgAbuseStore> abuse_store_;
  std::unique_ptr<AbuseDesk> desk_;
  std::unique_ptr<accounts::PgOwnerNoticeStore> notice_store_;
  std::unique_ptr<accounts::OwnerNotices> notices_;
  std::unique_ptr<InProcessAccountsSink> sink_;
  int networks_ = 0;
};

TEST_F(OwnerNoticesPgTest, TheOwnerIsToldOnceThroughRestartsAndLostAnswers) {
  const std::string alice = Account("alice", "alice@example.org");
  const std::string bob = Account("bob", "");  // gave no contact address
  const std::string object = DisabledLink(alice, "phishing");
  const std::string silent = DisabledLink(bob, "malware");

  // The disables committed their notices; nothing was sent yet.
  EXPECT_EQ(Count("SELECT count(*) FROM coordinator.owner_notices WHERE delivered_at IS NULL"),
            2);
  EXPECT_EQ(Rows(alice), 0);

  // A "restart" of the coordinator before delivery: a new pool, queue and sender on the
  // same database find the notices.
  PgPool restarted(CoordinatorPoolOptions(db_url(), 2));
  {
    PgOwnerNoticeQueue queue(restarted);
    OwnerNoticeSender sender(queue, *sink_, log_);
    // Accounts commits but the answer is lost: the notices stay undelivered.
    sink_->lose_answer = true;
    EXPECT_EQ(sender.RunOnce().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(sink_->new_notices, 2);
    EXPECT_EQ(sink_->outbox_rows, 1);  // alice only: bob gave no contact
    EXPECT_EQ(Count("SELECT count(*) FROM coordinator.owner_notices WHERE delivered_at IS NULL"),
              2);
  }
  {
    // Another restart; this time the answer arrives. The repeat writes nothing new.
    PgOwnerNoticeQueue queue(restarted);
    OwnerNoticeSender sender(queue, *sink_, log_);
    sink_->lose_answer = false;
    ASSERT_OK_AND_ASSIGN(int delivered, sender.RunOnce());
    EXPECT_EQ(delivered, 2);
    EXPECT_EQ(sink_->new_notices, 2);
    EXPECT_EQ(sink_->outbox_rows, 1);
    // A further run has nothing to send and does not call accounts.
    const int calls = sink_->calls;
    ASSERT_OK_AND_ASSIGN(delivered, sender.RunOnce());
    EXPECT_EQ(delivered, 0);
    EXPECT_EQ(sink_->calls, calls);
  }
  EXPECT_EQ(Count("SELECT count(*) FROM coordinator.owner_notices WHERE delivered_at IS NULL"),
            0);

  // Exactly one row for alice, with the non-secret details only; none for bob.
  EXPECT_EQ(Rows(alice), 1);
  EXPECT_EQ(Rows(bob), 0);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM accounts.notification_outbox WHERE "
                               "account_id = '", alice, "' AND object_id = '", object,
                               "' AND reason = 'phishing' AND contact = 'alice@example.org' "
                               "AND handle = 'alice' AND sent_at IS NULL AND act_at = "
                               "(SELECT link_disabled_at FROM coordinator.objects WHERE "
                               "object_id = '", object, "')")),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM accounts.notification_outbox WHERE "
                  "concat_ws(' ', handle, contact, reason) ~ '(secret|private|age-header)'"),
            0);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM coordinator.owner_notices WHERE "
                               "object_id = '", silent, "'")),
            1);

  // Replaying every notice by hand (as a coordinator restored from a backup would)
  // writes nothing either, even after bob gives a contact address.
  Exec(absl::StrCat("UPDATE accounts.accounts SET contact = 'bob@example.org' WHERE "
                    "account_id = '", bob, "'"));
  Exec("UPDATE coordinator.owner_notices SET delivered_at = NULL");
  PgOwnerNoticeQueue queue(*pool_);
  OwnerNoticeSender sender(queue, *sink_, log_);
  ASSERT_OK_AND_ASSIGN(int again, sender.RunOnce());
  EXPECT_EQ(again, 2);
  EXPECT_EQ(Rows(alice), 1);
  EXPECT_EQ(Rows(bob), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM accounts.owner_notices_received"), 2);
}

TEST_F(OwnerNoticesPgTest, OneNoticePerLinkAndAnOrganizationsOwnersAndAdminsAreTold) {
  const std::string carol = Account("carol", "carol@example.org");  // owner
  const std::string dave = Account("dave", "dave@example.org");     // admin
  const std::string erin = Account("erin", "erin@example.org");     // member
  const std::string fay = Account("fay", "");                        // admin, no contact
  const std::string acme =
      Org("acme", {{carol, "owner"}, {dave, "admin"}, {erin, "member"}, {fay, "admin"}});

  // Two open reports of one org-owned link, one disable: one notice.
  Caller owner{acme, {"storage"}};
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 5000));
  ASSERT_OK(catalog_->SetPublicLink(owner, id, true, "age-header-with-link").status());
  ASSERT_OK_AND_ASSIGN(std::string first,
                       desk_->Report(ReportInput{id, "copyright", "", ""}, "10.1.0.0/24"));
  ASSERT_OK(desk_->Report(ReportInput{id, "malware", "", ""}, "10.1.1.0/24").status());
  ASSERT_OK(desk_->DisableLink(first, "").status());
  ASSERT_EQ(Count("SELECT count(*) FROM coordinator.owner_notices"), 1);

  PgOwnerNoticeQueue queue(*pool_);
  OwnerNoticeSender sender(queue, *sink_, log_, /*batch=*/1);
  ASSERT_OK_AND_ASSIGN(int delivered, sender.RunOnce());
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(Rows(carol), 1);
  EXPECT_EQ(Rows(dave), 1);
  EXPECT_EQ(Rows(erin), 0);
  EXPECT_EQ(Rows(fay), 0);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM accounts.notification_outbox WHERE "
                               "reason = 'copyright' AND object_id = '", id, "'")),
            2);
  // Dismissing a report queues nothing.
  const std::string other = Account("gus", "gus@example.org");
  Caller gus{other, {"storage"}};
  ASSERT_OK_AND_ASSIGN(std::string kept, UploadObject(gus, 5000));
  ASSERT_OK(catalog_->SetPublicLink(gus, kept, true, "age-header-with-link").status());
  ASSERT_OK_AND_ASSIGN(std::string report,
                       desk_->Report(ReportInput{kept, "other", "", ""}, "10.1.2.0/24"));
  ASSERT_OK(desk_->Dismiss(report, "").status());
  EXPECT_EQ(Count("SELECT count(*) FROM coordinator.owner_notices"), 1);
}

TEST_F(OwnerNoticesPgTest, BadNoticesAreRefusedNamingTheFieldAndWriteNothing) {
  const std::string alice = Account("alice", "alice@example.org");
  const accounts::OwnerNoticeInput good{NewUuid(), "link_disabled", alice, NewUuid(),
                                        "phishing", clock_.Now()};
  auto refused = [&](accounts::OwnerNoticeInput bad, const std::string& field) {
    absl::Status s = notices_->Record({good, bad}).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field << ": " << s;
    EXPECT_NE(std::string(s.message()).find("notices[1]." + field), std::string::npos) << s;
  };
  using Input = accounts::OwnerNoticeInput;
  const std::vector<std::pair<std::string, std::function<void(Input&)>>> cases = {
      {"notice_id", [](Input& b) { b.notice_id = "nope"; }},
      {"owner_id", [](Input& b) { b.owner_id = ""; }},
      {"object_id", [](Input& b) { b.object_id = "1234"; }},
      {"kind", [](Input& b) { b.kind = "link_enabled"; }},
      {"reason_category", [](Input& b) { b.reason_category = "Phishing!"; }},
      {"occurred_at", [](Input& b) { b.occurred_at = absl::UnixEpoch(); }},
      {"occurred_at", [&](Input& b) { b.occurred_at = clock_.Now() + absl::Hours(48); }},
  };
  for (const auto& [field, spoil] : cases) {
    Input b = good;
    b.notice_id = NewUuid();  // a fresh id, so that only `field` is wrong
    spoil(b);
    refused(b, field);
  }
  refused(good, "notice_id");  // repeated in the batch
  EXPECT_EQ(notices_->Record({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT count(*) FROM accounts.owner_notices_received"), 0);
  EXPECT_EQ(Rows(alice), 0);
  // An unknown owner is remembered and writes no row.
  ASSERT_OK_AND_ASSIGN(accounts::OwnerNoticeOutcome out,
                       notices_->Record({{NewUuid(), "link_disabled", NewUuid(), NewUuid(),
                                          "other", clock_.Now()}}));
  EXPECT_EQ(out.new_notices, 1);
  EXPECT_EQ(out.outbox_rows, 0);
}

}  // namespace
}  // namespace freehold::coordinator::testing
