// Operator and admin roles end to end, real processes on loopback: the first admin is
// made with `freehold-accounts --bootstrap-admin`, logs in with `freehold-admin login`,
// grants roles over gRPC; the roles travel in the signed access token, and the
// coordinator (coordinator:operator) and donations (donations:admin: campaigns from
// freehold-admin) accept it -- and refuse an account without the role. There is no
// shared operator secret: its old flags are refused, naming the replacement.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class OperatorRolesTest : public ClusterTest<3, 3> {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions o = Options();
    o.donations = true;
    // The coordinator computes the storage cost (1.00 EUR per TiB-month of raw
    // capacity provisioned) that the transparency page shows.
    dir_ = new testing::TempDir("operator-roles-cost-");
    o.coordinator_args = {"--cost-model",
                          dir_->WriteFile("cost.conf",
                                          "currency = EUR\ncost_per_tib_month_minor = 100\n"
                                          "fixed_monthly_minor = 700\n"),
                          "--funding-refresh", "200ms"};
    StartWith(o);
  }
  static void TearDownTestSuite() {
    ClusterTest::TearDownTestSuite();
    delete dir_;
    dir_ = nullptr;
  }

  // Signs `handle` up with the `freehold` CLI.
  void SignUp(const std::string& handle) {
    users_.push_back(std::make_unique<CliUser>(cluster_->accounts_address(),
                                               cluster_->coordinator_address(),
                                               Password(handle), cluster_->ca_file()));
    CliResult r = users_.back()->Run({"signup", "--handle", handle});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  static std::string Password(const std::string& handle) { return TestPassword(handle); }

  // Runs a binary; exit code and stdout + stderr.
  std::pair<int, std::string> Run(const std::string& binary, std::vector<std::string> args,
                                  std::vector<std::pair<std::string, std::string>> env = {}) {
    testing::ProcessOptions options;
    options.binary = binary[0] == '/' ? binary : testing::BinaryPath(binary);
    options.args = std::move(args);
    options.env = std::move(env);
    options.stdout_path = out_.File(absl::StrCat("stdout", ++runs_));
    absl::StatusOr<std::unique_ptr<testing::Process>> p = testing::Process::Start(options);
    if (!p.ok()) return {-1, p.status().ToString()};
    absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(60));
    std::ifstream in(options.stdout_path);
    std::stringstream text;
    text << in.rdbuf();
    return {code.ok() ? *code : -1, text.str() + (*p)->ReadStderr()};
  }

  // freehold-admin as the operator logged in under config dir `who` (TLS verified
  // against the cluster's CA, no client certificate: the token authorizes).
  std::pair<int, std::string> Admin(const std::string& who, std::vector<std::string> args) {
    std::vector<std::string> all = {"--coordinator", cluster_->coordinator_address(),
                                    "--accounts",    cluster_->accounts_address(),
                                    "--donations",   cluster_->donations_address(),
                                    "--ca-file",     cluster_->ca_file(),
                                    "--config-dir",  out_.File("admin-" + who)};
    all.insert(all.end(), args.begin(), args.end());
    return Run("freehold-admin", all,
               {{"FREEHOLD_PASSWORD", Password(who)}, {"FREEHOLD_ALLOW_WEAK_KDF", "1"}});
  }

  static inline testing::TempDir* dir_ = nullptr;
  std::vector<std::unique_ptr<CliUser>> users_;
  testing::TempDir out_{"operator-roles-"};
  int runs_ = 0;
};

TEST_F(OperatorRolesTest, BootstrapAdminGrantsRolesThatTheServicesAccept) {
  const std::string admin = absl::StrCat("boss", ::getpid());
  const std::string op = absl::StrCat("oper", ::getpid());
  SignUp(admin);
  SignUp(op);

  // No admin yet: the first one comes from the bootstrap command (database access).
  auto boot = Run("freehold-accounts",
                  {"--bootstrap-admin", admin, "--database-url", cluster_->database_url()});
  ASSERT_EQ(boot.first, 0) << boot.second;
  EXPECT_THAT(boot.second, HasSubstr("accounts:admin"));
  // An unknown handle is refused, naming it.
  auto unknown = Run("freehold-accounts",
                     {"--bootstrap-admin", "nobody-here", "--database-url", cluster_->database_url()});
  EXPECT_EQ(unknown.first, 1) << unknown.second;
  EXPECT_THAT(unknown.second, HasSubstr("nobody-here"));

  // The admin logs in; the coordinator accepts the token for its operator calls.
  auto login = Admin(admin, {"login", "--handle", admin});
  ASSERT_EQ(login.first, 0) << login.second;
  auto status = Admin(admin, {"status"});
  ASSERT_EQ(status.first, 0) << status.second;
  EXPECT_THAT(status.second, HasSubstr("raw capacity"));
  // Campaigns on donations (donations:admin).
  auto created = Admin(admin, {"campaigns", "create", "--title", "New disks", "--goal-minor",
                               "150000", "--description", "Three more nodes"});
  ASSERT_EQ(created.first, 0) << created.second;
  const std::string campaign_id(absl::StripAsciiWhitespace(created.second));
  auto listed = Admin(admin, {"campaigns", "list", "--live"});
  ASSERT_EQ(listed.first, 0) << listed.second;
  EXPECT_THAT(listed.second, HasSubstr(campaign_id));
  auto closed = Admin(admin, {"campaigns", "close", campaign_id});
  ASSERT_EQ(closed.first, 0) << closed.second;
  EXPECT_THAT(closed.second, HasSubstr("closed at"));
  listed = Admin(admin, {"campaigns", "list", "--live"});
  EXPECT_THAT(listed.second, Not(HasSubstr(campaign_id)));
  auto bad_close = Admin(admin, {"campaigns", "close", "not-a-uuid"});
  EXPECT_EQ(bad_close.first, 1);
  EXPECT_THAT(bad_close.second, HasSubstr("INVALID_ARGUMENT"));

  // An account without roles: refused by the coordinator, donations and accounts.
  // `freehold status` as that user: funding only, and how to get node-level details.
  CliResult plain_status = users_[1]->Run({"status"});
  ASSERT_EQ(plain_status.exit_code, 0) << plain_status.Describe();
  EXPECT_THAT(plain_status.out, HasSubstr("coordinator:operator"));
  EXPECT_THAT(plain_status.out, Not(HasSubstr("storage nodes")));
  auto op_login = Admin(op, {"login", "--handle", op});
  ASSERT_EQ(op_login.first, 0) << op_login.second;
  auto denied = Admin(op, {"status"});
  EXPECT_EQ(denied.first, 1) << denied.second;
  EXPECT_THAT(denied.second, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(denied.second, HasSubstr("coordinator:operator"));
  auto denied_campaign = Admin(op, {"campaigns", "list"});
  // Listing campaigns is public; creating one is not.
  EXPECT_EQ(denied_campaign.first, 0) << denied_campaign.second;
  auto denied_create = Admin(op, {"campaigns", "create", "--title", "x", "--goal-minor", "1"});
  EXPECT_EQ(denied_create.first, 1);
  EXPECT_THAT(denied_create.second, HasSubstr("PERMISSION_DENIED"));
  auto denied_roles = Admin(op, {"roles", "grant", op, "accounts:admin"});
  EXPECT_EQ(denied_roles.first, 1);
  EXPECT_THAT(denied_roles.second, HasSubstr("accounts:admin"));

  // The admin grants coordinator:operator; it is in the operator's next token.
  auto grant = Admin(admin, {"roles", "grant", op, "coordinator:operator"});
  ASSERT_EQ(grant.first, 0) << grant.second;
  auto bad_role = Admin(admin, {"roles", "grant", op, "root"});
  EXPECT_EQ(bad_role.first, 1);
  EXPECT_THAT(bad_role.second, HasSubstr("unknown role"));
  auto roles = Admin(admin, {"roles", "list"});
  ASSERT_EQ(roles.first, 0) << roles.second;
  EXPECT_THAT(roles.second, HasSubstr(op));
  op_login = Admin(op, {"login", "--handle", op});
  ASSERT_EQ(op_login.first, 0) << op_login.second;
  auto allowed = Admin(op, {"status"});
  EXPECT_EQ(allowed.first, 0) << allowed.second;
  // The same account's `freehold status` now shows the nodes (its next token has the role).
  CliResult op_status = users_[1]->Run({"status"});
  ASSERT_EQ(op_status.exit_code, 0) << op_status.Describe();
  EXPECT_THAT(op_status.out, HasSubstr("storage nodes   3 up of 3"));
  // Still not a donations admin.
  denied_create = Admin(op, {"campaigns", "create", "--title", "x", "--goal-minor", "1"});
  EXPECT_EQ(denied_create.first, 1);

  // Revoked: gone from the next token (the cluster's access tokens live 30 s, and
  // freehold-admin refreshes a token that expires within a minute on every call).
  auto revoke = Admin(admin, {"roles", "revoke", op, "coordinator:operator"});
  ASSERT_EQ(revoke.first, 0) << revoke.second;
  denied = Admin(op, {"status"});
  EXPECT_EQ(denied.first, 1) << denied.second;
  // An admin cannot remove their own admin role.
  auto self = Admin(admin, {"roles", "revoke", admin, "accounts:admin"});
  EXPECT_EQ(self.first, 1);
  EXPECT_THAT(self.second, HasSubstr("FAILED_PRECONDITION"));
}

// Issue 22: the shared operator secret is gone. Its flags stop a process (exit 2) naming
// the replacement, and an operator call with neither a certificate nor a token with the
// role is UNAUTHENTICATED, saying what would do.
TEST_F(OperatorRolesTest, TheSharedOperatorSecretIsGone) {
  const std::string secret = out_.WriteFile("admin-token", "old-shared-operator-secret-0123", 0600);
  auto coordinator = Run("freehold-coordinator",
                         {"--listen", "127.0.0.1:0", "--metrics-listen", "", "--database-url",
                          cluster_->database_url(), "--admin-token-file", secret});
  EXPECT_EQ(coordinator.first, 2) << coordinator.second;
  EXPECT_THAT(coordinator.second, HasSubstr("--admin-token-file"));
  EXPECT_THAT(coordinator.second, HasSubstr("coordinator:operator"));
  EXPECT_THAT(coordinator.second, Not(HasSubstr("READY")));
  auto admin = Run("freehold-admin", {"--coordinator", cluster_->coordinator_address(),
                                      "--ca-file", cluster_->ca_file(), "--token-file", secret,
                                      "status"});
  EXPECT_EQ(admin.first, 2) << admin.second;
  EXPECT_THAT(admin.second, HasSubstr("--token-file"));
  EXPECT_THAT(admin.second, HasSubstr("coordinator:operator"));
  // Nobody logged in, no certificate: the coordinator says what an operator call takes.
  auto anonymous = Admin("nobody", {"status"});
  EXPECT_EQ(anonymous.first, 1) << anonymous.second;
  EXPECT_THAT(anonymous.second, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(anonymous.second, HasSubstr("coordinator:operator"));
}

// The transparency page's storage cost is the one the coordinator computes from its cost
// model and the storage provisioned (not a typed figure: the cluster types none).
TEST_F(OperatorRolesTest, ThePageShowsTheCostTheCoordinatorComputes) {
  ASSERT_FALSE(cluster_->donations_http_address().empty());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::string page, metrics;
  double computed = -1;
  while (absl::Now() < deadline) {
    metrics = Run("/usr/bin/curl", {"-sS", "--max-time", "5",
                                    "http://" + cluster_->coordinator_metrics_address() +
                                        "/metrics"})
                  .second;
    const std::string key = "\nfreehold_funding_monthly_cost{currency=\"EUR\"} ";
    const size_t at = metrics.find(key);
    if (at != std::string::npos) {
      std::string value = metrics.substr(at + key.size());
      computed = std::stod(value.substr(0, value.find('\n')));
    }
    page = Run("/usr/bin/curl",
               {"-sS", "--max-time", "5", "http://" + cluster_->donations_http_address() + "/"})
               .second;
    if (computed > 0 && page.find("computed by the coordinator") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_GT(computed, 0) << metrics;
  EXPECT_THAT(page, HasSubstr("computed by the coordinator")) << page;
  // "<strong id="cost">7.xx EUR</strong>": the coordinator's figure to the cent.
  const std::string marker = "<strong id=\"cost\">";
  const size_t at = page.find(marker);
  ASSERT_NE(at, std::string::npos) << page;
  const double shown = std::stod(page.substr(at + marker.size()));
  EXPECT_NEAR(shown, computed, 0.005) << page;
  EXPECT_THAT(page, HasSubstr("id=\"capacity\""));
}

}  // namespace
}  // namespace freehold::e2e
