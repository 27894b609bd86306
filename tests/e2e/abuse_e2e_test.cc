// Abuse reports end to end (issue 22; coordinator/core/abuse_desk.h), real processes
// on loopback: a public link is reported by a stranger without an account with
// `freehold report` (bad inputs get precise statuses, the link's key is refused), an
// operator lists it and
// disables the link with freehold-admin (operator certificate), the link no longer
// downloads and says why, the owner sees the notice in `share --list` and `ls` and
// cannot turn the link on again and is notified through accounts' notification outbox
// (once, even when the coordinator delivers again; none without a contact address),
// an authority request is recorded, and the counts on
// the donations transparency page (HTTP GET) and the coordinator's metrics change.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "freehold/v1/abuse.grpc.pb.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Three nodes: small files are stored inline, no placement needed.
class AbuseEndToEndTest : public ClusterTest<3, 3> {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions o = Options();
    o.donations = true;
    StartWith(o);
  }

  // `contact` empty: the account gives no contact address.
  std::unique_ptr<CliUser> SignUp(const std::string& prefix, const std::string& contact = "") {
    const std::string handle = absl::StrCat(prefix, ::getpid());
    auto user = std::make_unique<CliUser>(cluster_->accounts_address(),
                                          cluster_->coordinator_address(), TestPassword(handle),
                                          cluster_->ca_file());
    std::vector<std::string> args = {"signup", "--handle", handle};
    if (!contact.empty()) args.insert(args.end(), {"--contact", contact});
    CliResult r = user->Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return user;
  }
  nlohmann::json Json(const CliUser& u, const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--json"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = u.Run(full);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // Runs a binary; exit code and stdout + stderr.
  std::pair<int, std::string> Run(const std::string& binary, std::vector<std::string> args) {
    testing::ProcessOptions options;
    options.binary = binary[0] == '/' ? binary : testing::BinaryPath(binary);
    options.args = std::move(args);
    options.stdout_path = out_.File(absl::StrCat("stdout", ++runs_));
    absl::StatusOr<std::unique_ptr<testing::Process>> p = testing::Process::Start(options);
    if (!p.ok()) return {-1, p.status().ToString()};
    absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(30));
    std::ifstream in(options.stdout_path);
    std::stringstream text;
    text << in.rdbuf();
    return {code.ok() ? *code : -1, text.str() + (*p)->ReadStderr()};
  }
  // freehold-admin with the operator certificate, as an operator runs it.
  std::pair<int, std::string> Admin(std::vector<std::string> args) {
    const ClientTlsOptions tls = cluster_->operator_tls();
    std::vector<std::string> all = {"--coordinator", cluster_->coordinator_address(),
                                    "--ca-file",     cluster_->ca_file(),
                                    "--tls-cert",    tls.cert_file,
                                    "--tls-key",     tls.key_file,
                                    "--config-dir",  out_.File("admin")};
    all.insert(all.end(), args.begin(), args.end());
    return Run("freehold-admin", all);
  }

  // The anonymous Abuse stub (no certificate, no token), as a reporter's client.
  std::unique_ptr<v1::Abuse::Stub> Anonymous() {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        MakeChannel(cluster_->coordinator_address(), cluster_->client_tls());
    EXPECT_TRUE(ch.ok()) << ch.status();
    return v1::Abuse::NewStub(*ch);
  }
  absl::StatusOr<std::string> Report(v1::Abuse::Stub& stub, const std::string& link,
                                     const std::string& category) {
    v1::ReportLinkRequest req;
    req.set_link(link);
    req.set_category(category);
    req.set_details("This file is a phishing kit aimed at bank customers.");
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ReportLinkResponse resp;
    grpc::Status st = stub.ReportLink(&ctx, req, &resp);
    if (!st.ok()) return FromGrpcStatus(st);
    return resp.report_id();
  }

  // One number from the cluster's database (schemas coordinator and accounts).
  int64_t Sql(const std::string& query) {
    pqxx::connection c(cluster_->database_url());
    pqxx::nontransaction n(c);
    pqxx::row r = n.exec1(query);
    return r[0].is_null() ? 0 : r[0].as<int64_t>();
  }
  void Exec(const std::string& query) {
    pqxx::connection c(cluster_->database_url());
    pqxx::nontransaction n(c);
    n.exec0(query);
  }
  // Polls `pred` (bounded: 20 s).
  static bool WaitFor(const std::function<bool()>& pred) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (pred()) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return pred();
  }

  // The number in <strong id="ID">N</strong> of the transparency page, -1 if absent.
  static int64_t Figure(const std::string& page, const std::string& id) {
    const std::string marker = "<strong id=\"" + id + "\">";
    const size_t at = page.find(marker);
    if (at == std::string::npos) return -1;
    return std::stoll(page.substr(at + marker.size()));
  }
  // Polls the page until `want` (id -> value) all hold (bounded: 30 s).
  std::string PageWith(const std::map<std::string, int64_t>& want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    std::string page;
    while (absl::Now() < deadline) {
      page = Run("/usr/bin/curl", {"-sS", "--max-time", "5",
                                   "http://" + cluster_->donations_http_address() + "/"})
                 .second;
      bool all = true;
      for (const auto& [id, value] : want) all = all && Figure(page, id) == value;
      if (all) return page;
      absl::SleepFor(absl::Milliseconds(250));
    }
    ADD_FAILURE() << "the page never showed the expected counts: " << page;
    return page;
  }

  testing::TempDir out_{"abuse-e2e-"};
  int runs_ = 0;
};

TEST_F(AbuseEndToEndTest, AReportedLinkIsDisabledTheOwnerIsToldAndThePageCounts) {
  // Before anything: the page shows zero counts (and the account-lifecycle counts).
  std::string page = PageWith({{"abuse-reports", 0}, {"links-disabled", 0},
                               {"authority-requests", 0}});
  EXPECT_GE(Figure(page, "accounts-warned"), 0) << page;
  EXPECT_THAT(page, HasSubstr("nothing is scanned"));

  auto alice = SignUp("alice", "alice@example.org");
  const std::string data = WriteRandomFile(alice->File("kit.bin"), 3000, 7);
  nlohmann::json put = Json(*alice, {"put", alice->File("kit.bin"), "--name", "kit.bin"});
  const std::string id = put.value("id", "");
  ASSERT_FALSE(id.empty()) << put.dump();
  WriteRandomFile(alice->File("private.bin"), 100, 8);
  nlohmann::json put2 =
      Json(*alice, {"put", alice->File("private.bin"), "--name", "private.bin"});
  const std::string private_id = put2.value("id", "");
  nlohmann::json link = Json(*alice, {"link", id});
  const std::string text = link.value("link", "");
  ASSERT_THAT(text, HasSubstr("freehold://"));
  CliUser stranger(cluster_->accounts_address(), cluster_->coordinator_address(), "unused",
                   cluster_->ca_file());
  CliResult fetched = stranger.Run({"fetch", text, "-o", stranger.File("kit.out")});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.Describe();
  EXPECT_EQ(ReadFile(stranger.File("kit.out")), data);

  // Bad reports get precise statuses; the link's key is refused and never echoed.
  auto stub = Anonymous();
  absl::Status keyed = Report(*stub, text, "phishing").status();
  EXPECT_EQ(keyed.code(), absl::StatusCode::kInvalidArgument) << keyed;
  EXPECT_THAT(std::string(keyed.message()), HasSubstr("without the part after '#'"));
  EXPECT_THAT(std::string(keyed.message()), Not(HasSubstr(text.substr(text.find('#') + 1))));
  absl::Status category = Report(*stub, id, "spam").status();
  EXPECT_EQ(category.code(), absl::StatusCode::kInvalidArgument) << category;
  EXPECT_THAT(std::string(category.message()), HasSubstr("category: must be one of"));
  absl::Status not_public = Report(*stub, private_id, "phishing").status();
  EXPECT_EQ(not_public.code(), absl::StatusCode::kNotFound) << not_public;
  // Operator calls need an operator.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ListAbuseReportsResponse resp;
    grpc::Status st = stub->ListAbuseReports(&ctx, {}, &resp);
    EXPECT_TRUE(st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                st.error_code() == grpc::StatusCode::PERMISSION_DENIED)
        << st.error_code() << " " << st.error_message();
  }

  // A good report with `freehold report` (no account): the CLI cuts the key off.
  CliResult reported =
      stranger.Run({"--json", "report", text, "--category", "phishing", "--details",
                    "This file is a phishing kit aimed at bank customers.", "--contact",
                    "reporter@example.org"});
  ASSERT_EQ(reported.exit_code, 0) << reported.Describe();
  nlohmann::json r = nlohmann::json::parse(reported.out, nullptr, false);
  const std::optional<std::string> report_id =
      r.is_object() && r.contains("report_id") ? std::optional<std::string>(r["report_id"])
                                                : std::nullopt;
  ASSERT_TRUE(report_id.has_value()) << reported.Describe();

  // The operator reviews and disables it with freehold-admin.
  auto listed = Admin({"abuse", "ls"});
  ASSERT_EQ(listed.first, 0) << listed.second;
  EXPECT_THAT(listed.second, HasSubstr(*report_id));
  EXPECT_THAT(listed.second, HasSubstr(id));
  auto shown = Admin({"abuse", "show", *report_id});
  ASSERT_EQ(shown.first, 0) << shown.second;
  EXPECT_THAT(shown.second, HasSubstr("phishing kit"));
  auto bad_id = Admin({"abuse", "disable", "not-a-report"});
  EXPECT_EQ(bad_id.first, 1) << bad_id.second;
  EXPECT_THAT(bad_id.second, HasSubstr("INVALID_ARGUMENT"));
  auto disabled = Admin({"abuse", "disable", *report_id, "--note", "phishing, confirmed"});
  ASSERT_EQ(disabled.first, 0) << disabled.second;
  EXPECT_THAT(disabled.second, HasSubstr("no longer works"));
  auto twice = Admin({"abuse", "dismiss", *report_id});
  EXPECT_EQ(twice.first, 1) << twice.second;
  EXPECT_THAT(twice.second, HasSubstr("FAILED_PRECONDITION"));

  // The link no longer downloads, and says why.
  CliResult dead = stranger.Run({"fetch", text, "-o", stranger.File("kit.dead")});
  EXPECT_NE(dead.exit_code, 0) << dead.Describe();
  EXPECT_THAT(dead.err, HasSubstr("disabled after an abuse report"));

  // The owner is told: share --list and ls; the link cannot come back; the file is theirs.
  nlohmann::json sharing = Json(*alice, {"share", "--list", id});
  EXPECT_FALSE(sharing.value("public_link", true));
  EXPECT_FALSE(sharing.value("link_disabled_at", "").empty()) << sharing.dump();
  CliResult ls = alice->Run({"ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  EXPECT_THAT(ls.out, HasSubstr("public link disabled after an abuse report on"));
  CliResult relink = alice->Run({"link", id});
  EXPECT_NE(relink.exit_code, 0) << relink.Describe();
  EXPECT_THAT(relink.err, HasSubstr("disabled after an abuse report"));
  CliResult mine = alice->Run({"get", id, "-o", alice->File("kit.mine")});
  ASSERT_EQ(mine.exit_code, 0) << mine.Describe();
  EXPECT_EQ(ReadFile(alice->File("kit.mine")), data);

  // The owner is told through accounts' notification outbox (the operator's mailer
  // sends it): the coordinator queued a notice with the disable and delivered it to
  // accounts, which wrote one row because alice gave a contact address.
  const std::string notice = "coordinator.owner_notices WHERE object_id = '" + id + "'";
  const std::string rows =
      "SELECT count(*) FROM accounts.notification_outbox WHERE kind = 'link_disabled' AND "
      "object_id = '" + id + "'";
  ASSERT_TRUE(WaitFor([&] { return Sql(rows) == 1; })) << "alice was not notified";
  EXPECT_EQ(Sql(rows + " AND contact = 'alice@example.org' AND reason = 'phishing' AND "
                       "act_at = (SELECT link_disabled_at FROM coordinator.objects WHERE "
                       "object_id = '" + id + "')"),
            1);
  ASSERT_TRUE(WaitFor([&] { return Sql("SELECT count(*) FROM " + notice +
                                       " AND delivered_at IS NOT NULL") == 1; }));
  // No link key, no name, no reporter's or operator's text anywhere in the row.
  const std::string key = text.substr(text.find('#') + 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM accounts.notification_outbox WHERE "
                "strpos(row_to_json(notification_outbox)::text, '" + key + "') > 0 OR "
                "row_to_json(notification_outbox)::text ~ '(kit|confirmed|reporter@)'"),
            0);
  // A second run of the consumer (the notice marked undelivered again, as after a
  // restart that lost the mark) makes no second row.
  Exec("UPDATE coordinator.owner_notices SET delivered_at = NULL WHERE object_id = '" + id +
       "'");
  ASSERT_TRUE(WaitFor([&] { return Sql("SELECT count(*) FROM " + notice +
                                       " AND delivered_at IS NOT NULL") == 1; }))
      << "the coordinator did not deliver the notice again";
  EXPECT_EQ(Sql(rows), 1);
  // An owner who gave no contact address gets no row (the notice is delivered all the
  // same, and accounts remembers it).
  auto bob = SignUp("bob");
  WriteRandomFile(bob->File("b.bin"), 500, 9);
  nlohmann::json bput = Json(*bob, {"put", bob->File("b.bin"), "--name", "b.bin"});
  const std::string bob_id = bput.value("id", "");
  ASSERT_FALSE(bob_id.empty()) << bput.dump();
  ASSERT_FALSE(Json(*bob, {"link", bob_id}).value("link", "").empty());
  ASSERT_OK_AND_ASSIGN(std::string bob_report, Report(*stub, bob_id, "malware"));
  ASSERT_EQ(Admin({"abuse", "disable", bob_report}).first, 0);
  ASSERT_TRUE(WaitFor([&] {
    return Sql("SELECT count(*) FROM coordinator.owner_notices WHERE object_id = '" + bob_id +
               "' AND delivered_at IS NOT NULL") == 1;
  })) << "bob's notice was not delivered";
  EXPECT_EQ(Sql("SELECT count(*) FROM accounts.notification_outbox WHERE object_id = '" +
                bob_id + "'"),
            0);
  EXPECT_EQ(Sql("SELECT count(*) FROM accounts.owner_notices_received r JOIN "
                "coordinator.owner_notices n USING (notice_id) WHERE n.object_id = '" +
                bob_id + "'"),
            1);
  // Only the coordinator may hand accounts notices.
  {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        MakeChannel(cluster_->accounts_address(), cluster_->client_tls());
    ASSERT_TRUE(ch.ok()) << ch.status();
    auto accounts = v1::Accounts::NewStub(*ch);
    v1::RecordOwnerNoticesRequest req;
    v1::OwnerNotice* n = req.add_notices();
    n->set_notice_id("5f1c0a4e-2b7d-4c9e-8a61-0d3e5b7f9a12");
    n->set_kind("link_disabled");
    n->set_owner_id(n->notice_id());
    n->set_object_id(n->notice_id());
    n->set_reason_category("other");
    n->mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::RecordOwnerNoticesResponse resp;
    grpc::Status st = accounts->RecordOwnerNotices(&ctx, req, &resp);
    EXPECT_TRUE(st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                st.error_code() == grpc::StatusCode::PERMISSION_DENIED)
        << st.error_code() << " " << st.error_message();
  }

  // A request from an authority, recorded without content.
  auto bad_kind = Admin({"abuse", "authority-request", "add", "--date", "2026-01-05", "--kind",
                         "letter", "--jurisdiction", "DE", "--outcome", "no_data"});
  EXPECT_EQ(bad_kind.first, 1) << bad_kind.second;
  EXPECT_THAT(bad_kind.second, HasSubstr("kind: must be one of"));
  auto recorded = Admin({"abuse", "authority-request", "add", "--date", "2026-01-05", "--kind",
                         "court_order", "--jurisdiction", "DE", "--outcome", "no_data"});
  ASSERT_EQ(recorded.first, 0) << recorded.second;

  // The counts: public call, the page (HTTP GET) and the coordinator's metrics.
  auto counts = Admin({"abuse", "counts"});
  ASSERT_EQ(counts.first, 0) << counts.second;
  EXPECT_THAT(counts.second, HasSubstr("links disabled      2"));
  page = PageWith({{"abuse-reports", 2}, {"links-disabled", 2}, {"authority-requests", 1}});
  EXPECT_THAT(page, Not(HasSubstr(id)));  // counts only, never a link
  const std::string metrics =
      Run("/usr/bin/curl",
          {"-sS", "--max-time", "5", "http://" + cluster_->coordinator_metrics_address() + "/metrics"})
          .second;
  EXPECT_THAT(metrics, HasSubstr("freehold_abuse_reports_total 2"));
  EXPECT_THAT(metrics, HasSubstr("freehold_links_disabled_total 2"));
  EXPECT_THAT(metrics, HasSubstr("freehold_authority_requests_total 1"));
}

}  // namespace
}  // namespace freehold::e2e
