// Donated disks end to end (issue 23, "donate disk as well as money"): a real cluster
// (accounts, donations, coordinator, seven storage daemons) with fast audits. An
// operator records with freehold-admin that one approved daemon is a donated disk; once
// it passed an audit its capacity appears as in-kind capacity in GetFundingStatus (apart
// from the money), in the metrics, in `freehold-admin nodes` and on the transparency
// page. Then the daemon silently loses its shard files: audits fail, it is suspended,
// and it stops counting everywhere.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "freehold/v1/funding.grpc.pb.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/fleet_checks.h"
#include "tests/e2e/probes.h"
#include "tests/support/storaged_identity.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<v1::FundingStatus> Funding(const Cluster& c) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
      MakeChannel(c.coordinator_address(), c.client_tls());
  if (!ch.ok()) return ch.status();
  auto stub = v1::Funding::NewStub(*ch);
  grpc::ClientContext ctx;  // anonymous: public information
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::GetFundingStatusResponse resp;
  grpc::Status st = stub->GetFundingStatus(&ctx, v1::GetFundingStatusRequest(), &resp);
  if (!st.ok()) return FromGrpcStatus(st);
  return resp.status();
}

// Polls GetFundingStatus until `done` holds (at most `limit`); returns the last status.
v1::FundingStatus WaitForFunding(const Cluster& c, const std::string& what, absl::Duration limit,
                                 const std::function<bool(const v1::FundingStatus&)>& done) {
  const absl::Time deadline = absl::Now() + limit;
  std::string last;
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::FundingStatus> f = Funding(c);
    if (f.ok() && done(*f)) return *f;
    last = f.ok() ? f->DebugString() : f.status().ToString();
    absl::SleepFor(absl::Milliseconds(250));
  }
  ADD_FAILURE() << "timed out waiting for " << what << "; last: " << last;
  return v1::FundingStatus();
}

// The transparency page once it shows `marker` (at most 20 s); the last page otherwise.
std::string PageWith(const Cluster& c, const std::string& marker, const std::string& scratch) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string page;
  while (absl::Now() < deadline) {
    page = RunTool("/usr/bin/curl",
                   {"-sS", "--max-time", "5", "http://" + c.donations_http_address() + "/"},
                   scratch)
               .out;
    if (page.find(marker) != std::string::npos) return page;
    absl::SleepFor(absl::Milliseconds(250));
  }
  ADD_FAILURE() << "the page never showed " << marker << ": " << page;
  return page;
}

// The node's entry of `freehold-admin nodes --json` (null if absent).
nlohmann::json DonationEntry(const Cluster& c, const std::string& node_id,
                             const std::string& scratch) {
  CliResult r = RunAdmin(c, {"nodes", "--json"}, scratch);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  if (r.exit_code != 0) return nullptr;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  if (!j.contains("nodeDonations")) return nullptr;
  for (const nlohmann::json& d : j["nodeDonations"]) {
    if (d.value("nodeId", "") == node_id) return d;
  }
  return nullptr;
}

TEST(DonatedDiskTest, ApprovedDonatedNodeCountsInKindAndStopsWhenItsAuditsFail) {
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  o.donations = true;
  o.coordinator_args = {"--inventory-check-interval", "0s",
                        "--audit-period", "10s",
                        "--audits-per-second", "60",
                        "--audits-per-node-per-second", "20",
                        "--reputation-lambda", "0.8",
                        "--reputation-threshold", "0.7",
                        "--suspended-drain-after", "1h",
                        "--repair-after", "1s",
                        "--funding-refresh", "300ms",
                        // No donation arrives in this test: keep the funding floor out of
                        // the way of the puts.
                        "--min-account-rate", "1GiB"};
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;
  const std::string handle = absl::StrCat("donor", ::getpid());
  CliUser alice(cluster.accounts_address(), cluster.coordinator_address(), TestPassword(handle),
                cluster.ca_file());
  ASSERT_EQ(alice.Run({"signup", "--handle", handle}).exit_code, 0);
  const std::string scratch = alice.work_dir();

  const int donated = 4;
  absl::StatusOr<testing::StoragedIdentity> identity =
      testing::PrintStoragedIdentity(cluster.node_data_dir(donated));
  ASSERT_TRUE(identity.ok()) << identity.status();
  const std::string node_id = identity->node_id;

  // Validation through the CLI: unknown node, missing terms.
  CliResult unknown = RunAdmin(
      cluster, {"nodes", "donate", "no-such-node", "--donated-by", "Ada", "--terms", "x"}, scratch);
  EXPECT_EQ(unknown.exit_code, 1) << unknown.Describe();
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND"));
  CliResult no_terms = RunAdmin(cluster, {"nodes", "donate", node_id, "--donated-by", "Ada"},
                                scratch);
  EXPECT_EQ(no_terms.exit_code, 2) << no_terms.Describe();

  // Nothing donated yet: no in-kind capacity.
  v1::FundingStatus before = WaitForFunding(cluster, "funding figures", absl::Seconds(15),
                                            [](const v1::FundingStatus&) { return true; });
  EXPECT_EQ(before.inkind_nodes(), 0u);

  // Some data so that audits have shards to challenge on every node.
  for (int i = 0; i < 8; ++i) {
    const std::string name = absl::StrCat("f", i);
    WriteRandomFile(alice.File(name), 300 * 1024 + i, 900 + i);
    CliResult put = alice.Run({"put", alice.File(name), "--name", name});
    ASSERT_EQ(put.exit_code, 0) << put.Describe();
  }

  const std::string terms_file = alice.File("terms.txt");
  {
    FILE* f = std::fopen(terms_file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("Runs in Ada's basement.\nOne year, best effort; two weeks' notice.\n", f);
    std::fclose(f);
  }
  CliResult donate = RunAdmin(cluster,
                              {"nodes", "donate", node_id, "--donated-by", "Ada Lovelace",
                               "--terms-file", terms_file},
                              scratch);
  ASSERT_EQ(donate.exit_code, 0) << donate.Describe();

  // Audited and in good standing: counted, apart from the money.
  const absl::Time donated_at = absl::Now();
  v1::FundingStatus counting =
      WaitForFunding(cluster, "the donated node to count", absl::Seconds(30),
                     [](const v1::FundingStatus& f) { return f.inkind_nodes() == 1; });
  std::printf("donated node counted after %s\n",
              absl::FormatDuration(absl::Now() - donated_at).c_str());
  ASSERT_EQ(counting.inkind_nodes(), 1u);
  EXPECT_GT(counting.inkind_raw_capacity_bytes(), 0u);
  EXPECT_LE(counting.inkind_raw_capacity_bytes(), o.node_capacity_bytes);
  // The default cost model: 12.00 EUR per TiB-month of raw disk.
  EXPECT_EQ(counting.inkind_value_base_minor(),
            static_cast<int64_t>(static_cast<unsigned __int128>(
                                     counting.inkind_raw_capacity_bytes()) *
                                 1200 / (uint64_t{1} << 40)));
  EXPECT_EQ(counting.monthly_income_base_minor(), 0);
  EXPECT_EQ(counting.money_funded_capacity_logical_bytes(), 0u);
  EXPECT_GT(counting.inkind_capacity_logical_bytes(), 0u);
  EXPECT_EQ(counting.funded_capacity_logical_bytes(),
            counting.inkind_capacity_logical_bytes());

  nlohmann::json entry = DonationEntry(cluster, node_id, scratch);
  ASSERT_FALSE(entry.is_null());
  EXPECT_EQ(entry.value("donatedBy", ""), "Ada Lovelace");
  EXPECT_THAT(entry.value("terms", ""), HasSubstr("two weeks' notice"));
  EXPECT_THAT(entry.value("approvedBy", ""), HasSubstr("cert:"));
  CliResult table = RunAdmin(cluster, {"nodes"}, scratch);
  EXPECT_THAT(table.out, HasSubstr("DONATED DISKS"));
  EXPECT_THAT(table.out, HasSubstr("Ada Lovelace"));

  std::string page = PageWith(cluster, "<strong id=\"donated-nodes\">1</strong>", scratch);
  EXPECT_THAT(page, HasSubstr("Donated disks:"));
  EXPECT_THAT(page, HasSubstr("<strong id=\"donations\">0.00 EUR</strong>"));  // not money

  // Silently lose every shard file of the node: failed audits, suspension, not counted.
  // (All of them: with only some gone, repair moves the lost shards away, the node's
  // remaining shards pass their audits and its reputation climbs back over the
  // threshold, as it should; the test would then race that recovery.)
  const std::map<std::string, std::string> files = ShardFiles(cluster.node_data_dir(donated));
  ASSERT_GE(files.size(), 1u);
  int deleted = 0;
  for (const auto& [key, path] : files) {
    ASSERT_EQ(::unlink(path.c_str()), 0) << path;
    ++deleted;
  }
  const absl::Time lost_at = absl::Now();
  v1::FundingStatus stopped =
      WaitForFunding(cluster, "the donated node to stop counting", absl::Seconds(40),
                     [](const v1::FundingStatus& f) { return f.inkind_nodes() == 0; });
  std::printf("deleted %d of %zu shard files; stopped counting after %s\n", deleted,
              files.size(), absl::FormatDuration(absl::Now() - lost_at).c_str());
  EXPECT_EQ(stopped.inkind_nodes(), 0u);
  EXPECT_EQ(stopped.inkind_raw_capacity_bytes(), 0u);
  EXPECT_EQ(stopped.inkind_value_base_minor(), 0);
  entry = DonationEntry(cluster, node_id, scratch);
  ASSERT_FALSE(entry.is_null());
  EXPECT_FALSE(entry.value("counting", false));
  EXPECT_THAT(entry.value("notCountingReason", ""),
              ::testing::AnyOf(HasSubstr("suspended"), HasSubstr("reputation")));
  page = PageWith(cluster, "<strong id=\"donated-nodes\">0</strong>", scratch);
  EXPECT_THAT(page, HasSubstr("Donated disks:"));
  const std::string metrics = cluster.coordinator_metrics_address();
  EXPECT_EQ(MetricSum(metrics, "freehold_inkind_nodes", "", scratch), 0);
  EXPECT_EQ(MetricSum(metrics, "freehold_inkind_nodes_not_counting", "", scratch), 1);

  // Ending the donation removes the record.
  CliResult undonate = RunAdmin(cluster, {"nodes", "undonate", node_id}, scratch);
  EXPECT_EQ(undonate.exit_code, 0) << undonate.Describe();
  EXPECT_TRUE(DonationEntry(cluster, node_id, scratch).is_null());
}

}  // namespace
}  // namespace freehold::e2e
