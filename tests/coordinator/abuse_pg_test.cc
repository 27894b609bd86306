// Abuse reports of public links over real PostgreSQL (core/abuse_desk.h, migration
// 0016): only public links can be reported, inputs are validated with precise
// statuses, reports are rate limited per network, an operator's disable turns the
// link off for good (strangers get FAILED_PRECONDITION, the owner still reads and sees
// the date, and cannot turn it on again), dismissing leaves the link, a resolved
// report cannot be resolved again, and the counts and metrics follow.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"

#include "coordinator/core/abuse_desk.h"
#include "coordinator/pg/pg_abuse_store.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AbusePgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    abuse_store_ = std::make_unique<PgAbuseStore>(*pool_);
    abuse_metrics_ = std::make_unique<AbuseMetrics>(metrics_registry_);
    AbuseLimits limits;
    limits.per_network = 3;
    limits.window = absl::Minutes(10);
    desk_ = std::make_unique<AbuseDesk>(*abuse_store_, clock_, abuse_metrics_.get(), log_, limits);
  }

  double Counter(const std::string& name) {
    for (const prometheus::MetricFamily& f : metrics_registry_.Collect()) {
      if (f.name == name && !f.metric.empty()) return f.metric[0].counter.value;
    }
    return -1;
  }

  // A committed object of `owner` with its public link on.
  std::string PublicObject(const Caller& owner) {
    absl::StatusOr<std::string> id = UploadObject(owner, 5000);
    EXPECT_OK(id.status());
    if (!id.ok()) return "";
    EXPECT_OK(catalog_->SetPublicLink(owner, *id, true, "age-header-with-link").status());
    return *id;
  }

  ReportInput Input(const std::string& link) {
    return ReportInput{link, "malware", "it installs something nasty", "reporter@example.org"};
  }

  std::unique_ptr<PgAbuseStore> abuse_store_;
  std::unique_ptr<AbuseMetrics> abuse_metrics_;
  std::unique_ptr<AbuseDesk> desk_;
};

TEST_F(AbusePgTest, DisableTurnsTheLinkOffForGoodAndTheOwnerIsShownWhen) {
  AddNodes(6);
  Caller owner = NewAccount();
  const std::string id = PublicObject(owner);
  ASSERT_OK(catalog_->Get(nullptr, id).status());

  // Two reports of one link from two networks, one as a link without its key.
  ASSERT_OK_AND_ASSIGN(std::string first, desk_->Report(Input(id), "10.0.0.0/24"));
  clock_.Advance(absl::Seconds(1));  // the list is by time received
  ASSERT_OK_AND_ASSIGN(std::string second,
                       desk_->Report(Input("freehold://" + id), "10.0.1.0/24"));
  ASSERT_OK_AND_ASSIGN(AbuseCounts counts, desk_->Counts());
  EXPECT_EQ(counts.reports_received, 2u);
  EXPECT_EQ(counts.links_disabled, 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<AbuseReport> open, desk_->List("open", 0));
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].report_id, first);
  EXPECT_EQ(open[0].object_id, id);
  EXPECT_EQ(open[0].category, "malware");
  EXPECT_EQ(open[0].reporter_contact, "reporter@example.org");

  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(AbuseReport done, desk_->DisableLink(first, "reviewed: malware"));
  EXPECT_EQ(done.status, ReportStatus::kLinkDisabled);
  const absl::Time disabled_at = clock_.Now();

  // Strangers: a precise FAILED_PRECONDITION naming the reason and the date.
  absl::Status anon = catalog_->Get(nullptr, id).status();
  EXPECT_EQ(anon.code(), absl::StatusCode::kFailedPrecondition) << anon;
  EXPECT_THAT(std::string(anon.message()), HasSubstr("disabled after an abuse report on"));
  Caller stranger = NewAccount();
  EXPECT_EQ(catalog_->Get(&stranger, id).status().code(), absl::StatusCode::kFailedPrecondition);
  // The owner still reads it and sees when; the link cannot come back.
  ASSERT_OK_AND_ASSIGN(ObjectManifest mine, catalog_->Get(&owner, id));
  EXPECT_FALSE(mine.object.public_link);
  ASSERT_TRUE(mine.object.link_disabled_at.has_value());
  EXPECT_EQ(absl::ToUnixSeconds(*mine.object.link_disabled_at), absl::ToUnixSeconds(disabled_at));
  ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(owner, 0, ""));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_TRUE(page.objects[0].link_disabled_at.has_value());
  absl::Status again = catalog_->SetPublicLink(owner, id, true, "age-header-2").status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("abuse report"));
  EXPECT_FALSE(catalog_->Get(nullptr, id).ok());

  // The other open report of the link was resolved with it; both are closed now.
  ASSERT_OK_AND_ASSIGN(AbuseReport other, desk_->Get(second));
  EXPECT_EQ(other.status, ReportStatus::kLinkDisabled);
  absl::Status twice = desk_->Dismiss(first, "").status();
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition) << twice;
  EXPECT_THAT(std::string(twice.message()), HasSubstr("already link_disabled"));
  // A new report of the disabled link is refused, saying why.
  absl::Status late = desk_->Report(Input(id), "10.0.2.0/24").status();
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;

  ASSERT_OK_AND_ASSIGN(counts, desk_->Counts());
  EXPECT_EQ(counts.reports_received, 2u);
  EXPECT_EQ(counts.links_disabled, 1u);
  EXPECT_EQ(Counter("freehold_abuse_reports_total"), 2);
  EXPECT_EQ(Counter("freehold_links_disabled_total"), 1);
}

TEST_F(AbusePgTest, DismissKeepsTheLinkAndOnlyPublicLinksCanBeReported) {
  AddNodes(6);
  Caller owner = NewAccount();
  const std::string id = PublicObject(owner);
  ASSERT_OK_AND_ASSIGN(std::string report, desk_->Report(Input(id), "10.0.0.0/24"));
  ASSERT_OK_AND_ASSIGN(AbuseReport dismissed, desk_->Dismiss(report, "not abusive"));
  EXPECT_EQ(dismissed.status, ReportStatus::kDismissed);
  ASSERT_OK(catalog_->Get(nullptr, id).status());
  ASSERT_OK_AND_ASSIGN(std::vector<AbuseReport> open, desk_->List("open", 0));
  EXPECT_TRUE(open.empty());
  ASSERT_OK_AND_ASSIGN(std::vector<AbuseReport> all, desk_->List("all", 0));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].resolution_note, "not abusive");
  EXPECT_EQ(desk_->DisableLink(report, "").status().code(), absl::StatusCode::kFailedPrecondition);

  // A private object, an unknown id and a trashed public one get one answer.
  ASSERT_OK_AND_ASSIGN(std::string private_id, UploadObject(owner, 1000));
  const std::string trashed = PublicObject(owner);
  ASSERT_OK(catalog_->Delete(owner, trashed));
  for (const std::string& target :
       {private_id, std::string("0b0e8c6e-7c35-4c51-9a8e-2f5b3a4c9d10"), trashed}) {
    absl::Status s = desk_->Report(Input(target), "10.0.0.0/24").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_EQ(s.message(), "no public link to object " + target);
  }
  ASSERT_OK_AND_ASSIGN(AbuseCounts counts, desk_->Counts());
  EXPECT_EQ(counts.reports_received, 1u);
  EXPECT_EQ(counts.links_disabled, 0u);
}

TEST_F(AbusePgTest, BadInputsGetPreciseStatusesAndTheKeyIsNeverEchoed) {
  AddNodes(6);
  Caller owner = NewAccount();
  const std::string id = PublicObject(owner);
  auto code_and_message = [&](ReportInput in) {
    absl::Status s = desk_->Report(in, "10.9.9.0/24").status();
    return std::make_pair(s.code(), std::string(s.message()));
  };
  ReportInput keyed = Input("freehold://" + id + "#AGE-SECRET-KEY-1SECRETSECRET");
  auto [code, message] = code_and_message(keyed);
  EXPECT_EQ(code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("without the part after '#'"));
  EXPECT_THAT(message, Not(HasSubstr("SECRET")));

  ReportInput bad = Input("freehold://not-a-uuid");
  EXPECT_THAT(code_and_message(bad).second, HasSubstr("link: must be"));
  bad = Input("");
  EXPECT_THAT(code_and_message(bad).second, HasSubstr("link: required"));
  bad = Input(id);
  bad.category = "spam!";
  EXPECT_THAT(code_and_message(bad).second, HasSubstr("category: must be one of"));
  bad = Input(id);
  bad.details = std::string(kMaxDetailsBytes + 1, 'x');
  EXPECT_THAT(code_and_message(bad).second, HasSubstr("details: at most 2000 bytes"));
  bad = Input(id);
  bad.details = "bad \xff utf-8";
  EXPECT_THAT(code_and_message(bad).second, HasSubstr("details: must be valid UTF-8"));
  bad = Input(id);
  bad.reporter_contact = "a\nb";
  EXPECT_THAT(code_and_message(bad).second, HasSubstr("reporter_contact: must be valid UTF-8"));
  for (const ReportInput& in : {keyed, bad}) {
    EXPECT_EQ(desk_->Report(in, "10.9.9.0/24").status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  // Multi-line text in UTF-8 is fine.
  ReportInput good = Input(id);
  good.details = "Zeile 1\nZeile 2 \xc3\xa4\xc3\xb6";
  ASSERT_OK(desk_->Report(good, "10.9.9.0/24").status());

  // Operator inputs.
  EXPECT_EQ(desk_->Get("nope").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(desk_->Get("0b0e8c6e-7c35-4c51-9a8e-2f5b3a4c9d10").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(desk_->Dismiss("0b0e8c6e-7c35-4c51-9a8e-2f5b3a4c9d10", "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(desk_->List("closed", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(desk_->List("open", 1001).status().code(), absl::StatusCode::kInvalidArgument);
  // Nothing was stored for the refused reports.
  ASSERT_OK_AND_ASSIGN(AbuseCounts counts, desk_->Counts());
  EXPECT_EQ(counts.reports_received, 1u);
}

TEST_F(AbusePgTest, ReportsAreRateLimitedPerNetwork) {
  AddNodes(6);
  Caller owner = NewAccount();
  const std::string id = PublicObject(owner);
  for (int i = 0; i < 3; ++i) ASSERT_OK(desk_->Report(Input(id), "192.0.2.0/24").status());
  absl::Status over = desk_->Report(Input(id), "192.0.2.0/24").status();
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted) << over;
  EXPECT_THAT(std::string(over.message()), HasSubstr("too many abuse reports from this network"));
  // Another network is not affected; the window's end restores the budget.
  ASSERT_OK(desk_->Report(Input(id), "198.51.100.0/24").status());
  clock_.Advance(absl::Minutes(11));
  ASSERT_OK(desk_->Report(Input(id), "192.0.2.0/24").status());
  ASSERT_OK_AND_ASSIGN(AbuseCounts counts, desk_->Counts());
  EXPECT_EQ(counts.reports_received, 5u);
}

// Two operators disable two reports of one link at the same instant. With the rows
// locked in one order (the object, then its reports) neither waits for the other in a
// cycle: over a pool that does not retry, a deadlock would surface as ABORTED. The
// loser of each race is told the report is already resolved.
TEST_F(AbusePgTest, ConcurrentDisablesOfOneLinkNeverDeadlock) {
  AddNodes(6);
  PgPoolOptions no_retry = CoordinatorPoolOptions(db_url(), 4);
  no_retry.max_serialization_retries = 0;
  PgPool strict_pool(no_retry);
  PgAbuseStore strict_store(strict_pool);
  AbuseDesk strict(strict_store, clock_, nullptr, log_, AbuseLimits());
  Caller owner = NewAccount();
  for (int round = 0; round < 8; ++round) {
    const std::string id = PublicObject(owner);
    ASSERT_OK_AND_ASSIGN(std::string a,
                         strict.Report(Input(id), absl::StrCat("10.", round, ".1.0/24")));
    ASSERT_OK_AND_ASSIGN(std::string b,
                         strict.Report(Input(id), absl::StrCat("10.", round, ".2.0/24")));
    std::atomic<int> ready{0};
    absl::Status results[2];
    auto disable = [&](int i, const std::string& report) {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      results[i] = strict.DisableLink(report, "").status();
    };
    std::thread first(disable, 0, a);
    std::thread second(disable, 1, b);
    first.join();
    second.join();
    int ok = 0;
    for (const absl::Status& r : results) {
      if (r.ok()) {
        ++ok;
        continue;
      }
      EXPECT_EQ(r.code(), absl::StatusCode::kFailedPrecondition) << "round " << round << ": " << r;
      EXPECT_THAT(std::string(r.message()), HasSubstr("already link_disabled"));
    }
    EXPECT_GE(ok, 1) << "round " << round;
  }
}

// Two coordinator replicas (two desks over one database) share one budget per
// network, and a network's row is gone once its window ended.
TEST_F(AbusePgTest, TheBudgetIsSharedByReplicasAndForgottenAfterItsWindow) {
  AddNodes(6);
  Caller owner = NewAccount();
  const std::string id = PublicObject(owner);
  PgAbuseStore other_store(*pool_);
  AbuseLimits limits;
  limits.per_network = 3;
  limits.window = absl::Minutes(10);
  AbuseDesk replica(other_store, clock_, nullptr, log_, limits);
  ASSERT_OK(desk_->Report(Input(id), "203.0.113.0/24").status());
  ASSERT_OK(replica.Report(Input(id), "203.0.113.0/24").status());
  ASSERT_OK(desk_->Report(Input(id), "203.0.113.0/24").status());
  absl::Status over = replica.Report(Input(id), "203.0.113.0/24").status();
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted) << over;
  EXPECT_EQ(desk_->Report(Input(id), "203.0.113.0/24").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Count("SELECT count(*) FROM coordinator.abuse_report_budget"), 1);

  clock_.Advance(absl::Minutes(10));
  ASSERT_OK(replica.Report(Input(id), "198.51.100.0/24").status());
  // The ended window was deleted; only the new network's row is left.
  EXPECT_EQ(Count("SELECT count(*) FROM coordinator.abuse_report_budget "
                  "WHERE network = '203.0.113.0/24'"),
            0);
  ASSERT_OK(desk_->Report(Input(id), "203.0.113.0/24").status());
}

TEST_F(AbusePgTest, AuthorityRequestsAreRecordedWithoutContent) {
  ASSERT_OK_AND_ASSIGN(std::string rid,
                       desk_->RecordAuthorityRequest({"2023-10-02", "court_order", "DE",
                                                      "no_data"}));
  ASSERT_OK_AND_ASSIGN(std::vector<AuthorityRequest> list, desk_->ListAuthorityRequests(0));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].request_id, rid);
  EXPECT_EQ(list[0].received_on, "2023-10-02");
  EXPECT_EQ(list[0].kind, "court_order");
  EXPECT_EQ(list[0].jurisdiction, "DE");
  EXPECT_EQ(list[0].outcome, "no_data");
  auto message = [&](AuthorityRequestInput in) {
    absl::Status s = desk_->RecordAuthorityRequest(in).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return std::string(s.message());
  };
  EXPECT_THAT(message({"15.01.2026", "court_order", "DE", "no_data"}), HasSubstr("received_on"));
  EXPECT_THAT(message({absl::FormatTime("%Y-%m-%d", clock_.Now() + absl::Hours(48),
                                        absl::UTCTimeZone()),
                       "court_order", "DE", "no_data"}),
              HasSubstr("in the future"));
  EXPECT_THAT(message({"2023-10-02", "letter", "DE", "no_data"}), HasSubstr("kind: must be"));
  EXPECT_THAT(message({"2023-10-02", "subpoena", "", "no_data"}), HasSubstr("jurisdiction"));
  EXPECT_THAT(message({"2023-10-02", "subpoena", "DE", "everything"}),
              HasSubstr("outcome: must be"));
  ASSERT_OK_AND_ASSIGN(AbuseCounts counts, desk_->Counts());
  EXPECT_EQ(counts.authority_requests, 1u);
  EXPECT_EQ(Counter("freehold_authority_requests_total"), 1);
}

TEST(AbuseRules, NetworkOfPeerGroupsAddresses) {
  EXPECT_EQ(NetworkOfPeer("ipv4:203.0.113.7:5555"), "203.0.113.0/24");
  EXPECT_EQ(NetworkOfPeer("ipv4:203.0.113.250:1"), "203.0.113.0/24");
  EXPECT_EQ(NetworkOfPeer("ipv6:[2001:db8:abcd:12::1]:443"), "2001:0db8:abcd::/48");
  EXPECT_EQ(NetworkOfPeer("ipv6:[2001:db8:abcd:ffff::9]:1"), "2001:0db8:abcd::/48");
  EXPECT_EQ(NetworkOfPeer("ipv6:[::ffff:192.0.2.9]:80"), "192.0.2.0/24");
  EXPECT_EQ(NetworkOfPeer("unix:/tmp/sock"), "unix:/tmp/sock");
}

TEST(AbuseRules, ObjectIdOfLink) {
  const std::string id = "0b0e8c6e-7c35-4c51-9a8e-2f5b3a4c9d10";
  ASSERT_OK_AND_ASSIGN(std::string a, ObjectIdOfLink("freehold://" + id));
  EXPECT_EQ(a, id);
  ASSERT_OK_AND_ASSIGN(std::string b, ObjectIdOfLink(id));
  EXPECT_EQ(b, id);
  EXPECT_EQ(ObjectIdOfLink("https://" + id).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ObjectIdOfLink("freehold://" + id + "#").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace freehold::coordinator::testing
