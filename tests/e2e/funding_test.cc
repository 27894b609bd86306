// Funding instead of billing, end to end (docs/ARCHITECTURE.md#12-funding-and-admission, issue 9):
// a real cluster (accounts, donations, coordinator, six storage daemons) with a tiny cost model and
// tiny disks, driven with the real `freehold` CLI and real signed Stripe webhooks. Writes pass;
// near the funded capacity the heaviest writer is throttled while a small writer still passes; a
// donation lifts the throttle; past physical capacity writes are refused with RESOURCE_EXHAUSTED
// and a message, while reads and deletes keep working and nothing is lost.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "freehold/v1/donations.grpc.pb.h"
#include "freehold/v1/funding.grpc.pb.h"
#include "services/donations/core/webhook_signature.h"
#include "tests/donations/donations_test_support.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDonateUrl[] = "https://freehold.test/donate";
constexpr uint64_t kMiB = uint64_t{1} << 20;

// One cent of monthly income pays for 2^40 / 52428800 = 20971.52 raw bytes:
// 1.50 EUR funds 3 MiB raw, i.e. 2 MiB logical at the 4+2 code's 1.5 overhead.
constexpr char kCostModel[] =
    "currency = EUR\n"
    "cost_per_tib_month_minor = 52428800\n"
    "fixed_monthly_minor = 0\n";

class FundingEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("freehold-e2e-funding-");
    ClusterOptions o;
    o.storage_nodes = 6;
    o.zones = 3;
    // One segment per file below, so admission sees each file once.
    o.segment_size = "16MiB";
    // 6 x 8 MiB raw; half kept in reserve: 24 MiB usable raw = 16 MiB logical.
    o.node_capacity_bytes = 8 * kMiB;
    o.donations = true;
    o.coordinator_args = {
        "--cost-model", dir_->WriteFile("cost.conf", kCostModel), "--funding-refresh", "200ms",
        "--throttle-at", "0.5", "--physical-reserve-fraction", "0.5",
        // The 0.8 MiB left under 2 MiB funded last 2h20m: ~100 B/s for all.
        "--throttle-horizon", "2h20m", "--recent-writes-window", "1h", "--min-account-rate", "1",
        "--throttle-burst", "60s", "--donate-url", kDonateUrl,
        // A deleted object's shards go once its PUT grants expired: keep that short.
        "--grant-ttl", "15s"};
    absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(o);
    if (c.ok()) {
      cluster_ = c->release();
    } else {
      start_error_ = new std::string(c.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete start_error_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr) << "cluster did not start: " << *start_error_;
  }

  std::unique_ptr<CliUser> SignUp(const std::string& prefix) {
    const std::string handle = absl::StrCat(prefix, ::getpid());
    auto user = std::make_unique<CliUser>(
        cluster_->accounts_address(), cluster_->coordinator_address(), TestPassword(handle),
        cluster_->ca_file());
    CliResult r = user->Run({"signup", "--handle", handle});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return user;
  }

  // `freehold put` of `size` fresh random bytes; the file's bytes go to *data.
  CliResult Put(const CliUser& u, const std::string& name, size_t size, std::string* data,
                uint32_t seed) {
    const std::string path = u.File(name);
    *data = WriteRandomFile(path, size, seed);
    return u.Run({"--json", "put", path, "--name", name, "--max-throttle-wait", "5s",
                  "--throttle-retries", "1"});
  }

  // A one-off donation of `cents` EUR, delivered as a signed Stripe webhook.
  void Donate(int64_t cents) {
    static int n = 0;
    ++n;
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    donations::testing::PaymentSpec spec;
    spec.event_id = absl::StrCat("evt_e2e_funding_", n);
    spec.payment_intent = absl::StrCat("pi_e2e_funding_", n);
    spec.amount = cents;
    spec.currency = "eur";
    spec.created = now;
    const std::string body = donations::testing::PaymentIntentSucceeded(spec);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch = MakeChannel(
        cluster_->donations_address(),
        cluster_->pki().Issue("webhook", kRoleDonations, "e2e-webhook").Client());
    ASSERT_TRUE(ch.ok()) << ch.status();
    auto stub = v1::Donations::NewStub(*ch);
    v1::IngestEventRequest req;
    req.set_provider("stripe");
    v1::WebhookHeader* h = req.add_headers();
    h->set_name("Stripe-Signature");
    h->set_value(donations::SignPayload(kStripeWebhookSecret, now, body));
    req.set_raw_body(body);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::IngestEventResponse resp;
    grpc::Status st = stub->IngestEvent(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(resp.result(), v1::INGEST_RESULT_RECORDED);
  }

  static absl::StatusOr<v1::FundingStatus> Funding() {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        MakeChannel(cluster_->coordinator_address(), cluster_->client_tls());
    if (!ch.ok()) return ch.status();
    auto stub = v1::Funding::NewStub(*ch);
    grpc::ClientContext ctx;  // anonymous: public information
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::GetFundingStatusResponse resp;
    grpc::Status st = stub->GetFundingStatus(&ctx, v1::GetFundingStatusRequest(), &resp);
    if (!st.ok()) return FromGrpcStatus(st);
    return resp.status();
  }

  // Polls GetFundingStatus until `done` holds (bounded); returns the last status.
  v1::FundingStatus WaitFor(const std::string& what,
                            const std::function<bool(const v1::FundingStatus&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    std::string last;
    while (absl::Now() < deadline) {
      absl::StatusOr<v1::FundingStatus> f = Funding();
      if (f.ok() && done(*f)) return *f;
      last = f.ok() ? f->DebugString() : f.status().ToString();
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "timed out waiting for " << what << "; last: " << last;
    return v1::FundingStatus();
  }

  static v1::FundingStatus WaitForState(FundingEndToEndTest* t, v1::AdmissionState state) {
    return t->WaitFor(v1::AdmissionState_Name(state),
                      [state](const v1::FundingStatus& f) { return f.admission_state() == state; });
  }

  // The coordinator's /metrics text.
  std::string Scrape() {
    CliResult r =
        RunTool("/usr/bin/curl",
                {"-sS", "--max-time", "10",
                 absl::StrCat("http://", cluster_->coordinator_metrics_address(), "/metrics")},
                dir_->path());
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return r.out;
  }

  // Gets `name` back and checks it byte for byte.
  void ExpectReadable(const CliUser& u, const std::string& name, const std::string& data) {
    const std::string out = u.File(name + ".back");
    CliResult r = u.Run({"get", name, "-o", out});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_TRUE(ReadFile(out) == data) << name << " came back different";
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline Cluster* cluster_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

TEST_F(FundingEndToEndTest, ThrottlesHeaviestFirstDonationLiftsItFullDisksRefuseReadsKeepWorking) {
  // Funded: 1.50 EUR -> 2 MiB logical; throttling starts at half of it.
  Donate(150);
  v1::FundingStatus f = WaitFor("the first donation", [](const v1::FundingStatus& s) {
    return s.monthly_income_base_minor() == 150;
  });
  EXPECT_EQ(f.admission_state(), v1::ADMISSION_STATE_OPEN);
  EXPECT_EQ(f.base_currency(), "EUR");
  EXPECT_EQ(f.donate_url(), kDonateUrl);
  EXPECT_TRUE(f.funding_error().empty()) << f.funding_error();
  const uint64_t funded_before = f.funded_capacity_logical_bytes();

  std::unique_ptr<CliUser> heavy = SignUp("heavy");
  std::unique_ptr<CliUser> small = SignUp("small");
  std::map<std::string, std::string> heavy_files, small_files;
  auto put = [&](CliUser& u, std::map<std::string, std::string>& files, const std::string& name,
                 size_t size) {
    std::string data;
    CliResult r = Put(u, name, size, &data, static_cast<uint32_t>(files.size() * 31 + size));
    if (r.exit_code == 0) files[name] = data;
    return r;
  };

  // 1. Comfortably below both limits: every write passes.
  ASSERT_EQ(put(*small, small_files, "s1", 1024).exit_code, 0);
  for (const char* name : {"h1", "h2", "h3"}) {
    CliResult r = put(*heavy, heavy_files, name, 400 * 1024);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }

  // 2. Past half the funded capacity: throttled for lack of funding.
  f = WaitForState(this, v1::ADMISSION_STATE_THROTTLED);
  EXPECT_EQ(f.admission_reason(), "funding");
  EXPECT_THAT(f.admission_message(), HasSubstr(kDonateUrl));
  // The heavy writer's next segment drains its bucket; the one after is delayed
  // far beyond --max-throttle-wait, so put fails at once with the reason.
  ASSERT_EQ(put(*heavy, heavy_files, "h4", 400 * 1024).exit_code, 0);
  CliResult delayed = put(*heavy, heavy_files, "h5", 400 * 1024);
  EXPECT_EQ(delayed.exit_code, 6) << delayed.Describe();
  EXPECT_THAT(delayed.err, HasSubstr(kDonateUrl));
  EXPECT_THAT(delayed.err, HasSubstr("slowed down"));
  EXPECT_THAT(delayed.err, HasSubstr("retry in"));
  EXPECT_THAT(delayed.err, HasSubstr("asks to wait"));  // the retry-after trailer arrived
  // The small writer is below the fair-share level and still writes.
  CliResult s2 = put(*small, small_files, "s2", 1024);
  EXPECT_EQ(s2.exit_code, 0) << s2.Describe();
  // The funding metrics the dashboards and alerts use.
  const std::string metrics = Scrape();
  EXPECT_THAT(metrics, HasSubstr("\nfreehold_admission_state 1\n"));
  EXPECT_THAT(metrics, HasSubstr("\nfreehold_funding_monthly_income{currency=\"EUR\"} 1.5\n"));
  EXPECT_THAT(metrics, HasSubstr("\nfreehold_admission_throttled_total{reason=\"funding\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("\nfreehold_funded_capacity_bytes "));
  EXPECT_THAT(metrics, HasSubstr("\nfreehold_funding_coverage_ratio "));
  EXPECT_THAT(metrics, HasSubstr("\nfreehold_funding_runway_seconds "));
  EXPECT_THAT(metrics, HasSubstr("\nfreehold_funding_monthly_cost{currency=\"EUR\"} "));
  // `freehold status` shows the funding picture and the admission state.
  CliResult status = small->Run({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.Describe();
  nlohmann::json js = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_FALSE(js.is_discarded()) << status.out;
  EXPECT_EQ(js["funding"]["admission"], "throttled");
  EXPECT_EQ(js["funding"]["monthly_income_minor"], 150);
  EXPECT_EQ(js["funding"]["donate_url"], kDonateUrl);
  CliResult human = small->Run({"status"});
  ASSERT_EQ(human.exit_code, 0) << human.Describe();
  EXPECT_THAT(human.out, HasSubstr("Funding: new writes throttled"));
  EXPECT_THAT(human.out, HasSubstr("1.50 EUR"));
  EXPECT_THAT(human.out, HasSubstr(kDonateUrl));

  // 3. A donation raises funded capacity past physical capacity: open again.
  Donate(10000);
  f = WaitForState(this, v1::ADMISSION_STATE_OPEN);
  EXPECT_GT(f.funded_capacity_logical_bytes(), funded_before);
  EXPECT_GT(f.funded_capacity_logical_bytes(), f.physical_capacity_logical_bytes());
  CliResult h6 = put(*heavy, heavy_files, "h6", 400 * 1024);
  EXPECT_EQ(h6.exit_code, 0) << h6.Describe();

  // 4. One big file takes raw usage past the usable half of the disks: closed.
  CliResult big = put(*heavy, heavy_files, "big", 15 * kMiB);
  ASSERT_EQ(big.exit_code, 0) << big.Describe();
  f = WaitForState(this, v1::ADMISSION_STATE_CLOSED);
  EXPECT_EQ(f.admission_reason(), "physical");
  CliResult refused = put(*small, small_files, "s3", 1024);
  EXPECT_EQ(refused.exit_code, 6) << refused.Describe();
  EXPECT_THAT(refused.err, HasSubstr("full"));
  EXPECT_THAT(refused.err, HasSubstr(kDonateUrl));
  EXPECT_THAT(refused.err, Not(HasSubstr("retry in")));

  // Reads keep working and nothing stored is lost.
  for (const auto& [name, data] : heavy_files) ExpectReadable(*heavy, name, data);
  for (const auto& [name, data] : small_files) ExpectReadable(*small, name, data);
  CliResult ls = heavy->Run({"--json", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  EXPECT_EQ(nlohmann::json::parse(ls.out, nullptr, false).size(), heavy_files.size()) << ls.out;

  // 5. Deletes are never blocked, and freeing space reopens admission.
  CliResult rm = heavy->Run({"rm", "big"});
  ASSERT_EQ(rm.exit_code, 0) << rm.Describe();
  // Trashed bytes count as used until the trash is emptied (or its window ends).
  CliResult empty = heavy->Run({"trash", "empty"});
  ASSERT_EQ(empty.exit_code, 0) << empty.Describe();
  heavy_files.erase("big");
  WaitForState(this, v1::ADMISSION_STATE_OPEN);
  // The daemons free the shards asynchronously (GC loop once the PUT grants expired,
  // then a heartbeat);
  // placement needs room for a whole 16 MiB segment's shard again.
  const absl::Time deadline = absl::Now() + absl::Seconds(40);
  for (bool room = false; !room && absl::Now() < deadline;) {
    absl::StatusOr<v1::ClusterStatusResponse> cs = cluster_->Status();
    room = cs.ok();
    for (int i = 0; room && i < cs->nodes_size(); ++i) room = cs->nodes(i).free_bytes() >= 5 * kMiB;
    if (!room) absl::SleepFor(absl::Milliseconds(100));
  }
  CliResult s4 = put(*small, small_files, "s4", 1024);
  EXPECT_EQ(s4.exit_code, 0) << s4.Describe();
  for (const auto& [name, data] : heavy_files) ExpectReadable(*heavy, name, data);
}

}  // namespace
}  // namespace freehold::e2e
