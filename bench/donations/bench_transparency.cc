// freehold-bench-transparency: the transparency page and the public ledger export of
// the real freehold-donations binary under load, beside a static file of the same size
// served by the same HTTP server (civetweb, --http-static-dir) in the same run. Load
// comes from wrk (Debian package `wrk`, deploy/install-deps.sh --bench), keep-alive
// GETs. The page and the export are served from the page cache (--page-cache-ttl,
// default 2s); the same page rendered on every request (a second service with
// --page-cache-ttl 0 on the same database) is measured too, for comparison.
// Prints `figure: NAME VALUE`; with --rounds N each pair alternates N times (medians).
//
//   freehold-bench-transparency [--seconds 5] [--rounds 3] [--connections 16]
//                               [--payments 500] [--bin-dir build/bin]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "services/donations/core/webhook_signature.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

using freehold::testing::Process;
using freehold::testing::ReadFileOrEmpty;
using freehold::testing::TempDir;
namespace dt = freehold::donations::testing;

constexpr char kSecret[] = "whsec_bench_0123456789";

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "freehold-bench-transparency: " << what << "\n";
  std::exit(1);
}

std::string LoadAverage() {
  std::string text = ReadFileOrEmpty("/proc/loadavg");
  return text.substr(0, text.find(' '));
}

struct Service {
  std::unique_ptr<Process> process;
  std::string http;  // host:port
};

Service StartService(const std::string& url, const std::string& stdout_path,
                     const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--listen",       "127.0.0.1:0", "--metrics-listen",
                                   "127.0.0.1:0",    "--http-listen", "127.0.0.1:0",
                                   "--database-url", url,           "--log-level",
                                   "warn",           "--http-threads", "16"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto process = Process::Start({.binary = freehold::testing::BinaryPath("freehold-donations"),
                                 .args = args,
                                 .env = {{"FREEHOLD_STRIPE_WEBHOOK_SECRET", kSecret}},
                                 .stdout_path = stdout_path});
  if (!process.ok()) Fail(process.status().ToString());
  auto ready = dt::WaitForReady(**process, stdout_path, absl::Seconds(30));
  if (!ready.ok()) Fail("freehold-donations did not get ready: " + ready.status().ToString());
  return {std::move(*process), ready->http};
}

std::string Curl(const std::string& args) {
  int code = 0;
  std::string out = dt::RunCommand("curl -sS --max-time 30 " + args, &code);
  if (code != 0) Fail("curl " + args + ": " + out);
  return out;
}

struct WrkResult {
  double requests_per_second = 0;
  double non_2xx = 0;
};

// wrk against `url` for `seconds`; its Requests/sec and its count of non-2xx answers.
WrkResult Wrk(const std::string& url, int connections, int seconds) {
  int code = 0;
  const std::string out =
      dt::RunCommand(absl::StrCat("wrk -t2 -c", connections, " -d", seconds, "s '", url, "' 2>&1"),
                     &code);
  if (code != 0) Fail("wrk failed: " + out);
  WrkResult r;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "Requests/sec:")) {
      (void)absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(13)), &r.requests_per_second);
    }
    if (absl::StartsWith(line, "Non-2xx or 3xx responses:")) {
      (void)absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(25)), &r.non_2xx);
    }
  }
  if (r.requests_per_second <= 0) Fail("cannot parse wrk output: " + out);
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2;
}

// Alternates `a` and `b` for `rounds`; prints each round; returns the medians.
std::pair<double, double> Pair(const std::string& name, const std::string& a,
                               const std::string& b, int connections, int seconds, int rounds) {
  std::vector<double> ra, rb, ratio;
  for (int round = 0; round < rounds; ++round) {
    WrkResult x, y;
    if (round % 2 == 0) {
      x = Wrk(a, connections, seconds);
      y = Wrk(b, connections, seconds);
    } else {
      y = Wrk(b, connections, seconds);
      x = Wrk(a, connections, seconds);
    }
    if (x.non_2xx > 0 || y.non_2xx > 0) Fail(name + ": wrk saw non-2xx answers");
    ra.push_back(x.requests_per_second);
    rb.push_back(y.requests_per_second);
    ratio.push_back(x.requests_per_second / y.requests_per_second);
    std::cout << "round: " << name << " #" << round << " " << x.requests_per_second << " vs "
              << y.requests_per_second << " ratio " << ratio.back() << " load " << LoadAverage()
              << std::endl;
  }
  return {Median(ra), Median(rb)};
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  int rounds = 3;
  int connections = 16;
  int payments = 500;
  std::string bin_dir;
  CLI::App app{
      "freehold-bench-transparency: the cached transparency page and ledger export vs a "
      "static file on the same civetweb server"};
  app.add_option("--seconds", seconds, "duration of each wrk run")->capture_default_str();
  app.add_option("--rounds", rounds, "alternations per pair (figures are medians)")
      ->capture_default_str();
  app.add_option("--connections", connections, "wrk keep-alive connections (<= 16: one "
                                               "civetweb thread each)")
      ->capture_default_str();
  app.add_option("--payments", payments, "payments in the ledger before measuring")
      ->capture_default_str();
  app.add_option("--bin-dir", bin_dir, "directory holding freehold-donations (default: build)");
  CLI11_PARSE(app, argc, argv);
  if (!bin_dir.empty()) setenv("FREEHOLD_BIN_DIR", bin_dir.c_str(), 1);
  int which = 0;
  if (dt::RunCommand("command -v wrk", &which).empty()) {
    Fail("wrk is not installed (apt-get install wrk, or deploy/install-deps.sh --bench)");
  }

  auto& harness = freehold::testing::PostgresHarness::Get();
  absl::StatusOr<std::string> url = harness.CreateDatabase();
  if (!url.ok()) Fail("PostgreSQL: " + url.status().ToString());
  TempDir dir("bench-transparency-");
  const std::string www = dir.File("www");
  if (mkdir(www.c_str(), 0755) != 0) Fail("mkdir " + www);

  Service cached = StartService(*url, dir.File("cached.txt"), {"--http-static-dir", www});
  Service uncached = StartService(*url, dir.File("uncached.txt"), {"--page-cache-ttl", "0"});

  // A ledger worth showing: campaigns and `payments` payments (some for a campaign).
  std::vector<std::string> campaign_ids;
  {
    pqxx::connection conn(*url);
    pqxx::work tx(conn);
    for (int i = 0; i < 3; ++i) {
      campaign_ids.push_back(
          tx.exec1(absl::StrCat("INSERT INTO donations.campaigns (campaign_id, title, "
                                "goal_base_minor, created_at) VALUES (gen_random_uuid(), "
                                "'Campaign ",
                                i, ": new disks', ", 100000 * (i + 1),
                                ", now()) RETURNING campaign_id::text"))[0]
              .as<std::string>());
    }
    tx.commit();
  }
  const std::string body_file = dir.File("body.json");
  for (int i = 0; i < payments; ++i) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    std::map<std::string, std::string> metadata;
    if (i % 2 == 0) metadata["campaign_id"] = campaign_ids[i % campaign_ids.size()];
    const std::string body = dt::PaymentIntentSucceeded({.event_id = absl::StrCat("evt_seed_", i),
                                                         .payment_intent = absl::StrCat("pi_seed_", i),
                                                         .amount = 500 + 7 * i,
                                                         .created = now,
                                                         .metadata = metadata});
    dir.WriteFile("body.json", body);
    const std::string out =
        Curl(absl::StrCat("-o /dev/null -w '%{http_code}' -H 'Stripe-Signature: ",
                          freehold::donations::SignPayload(kSecret, now, body),
                          "' --data-binary @", body_file, " http://", cached.http,
                          "/webhooks/stripe"));
    if (out != "200") Fail("seeding payment " + std::to_string(i) + " answered " + out);
  }

  // The static references: byte-for-byte copies of what the service renders.
  const std::string page = Curl(absl::StrCat("http://", cached.http, "/"));
  const std::string ledger = Curl(absl::StrCat("http://", cached.http, "/ledger.json"));
  dir.WriteFile("www/page.html", page);
  if (Curl(absl::StrCat("http://", cached.http, "/page.html")) != page) {
    Fail("the static copy of the page is not served");
  }
  std::cout << "bench: page " << page.size() << " bytes, ledger.json " << ledger.size()
            << " bytes (" << payments << " payments); wrk -t2 -c" << connections << " -d"
            << seconds << "s, " << rounds << " rounds\n"
            << "bench: load average at start: " << LoadAverage() << std::endl;
  Wrk(absl::StrCat("http://", cached.http, "/"), connections, 1);  // warm up

  const std::string base = "http://" + cached.http;
  auto [page_rps, static_rps] =
      Pair("page_vs_static", base + "/", base + "/page.html", connections, seconds, rounds);
  std::cout << "figure: page_requests_per_s " << page_rps << "\n"
            << "figure: static_page_copy_requests_per_s " << static_rps << "\n"
            << "figure: page_vs_static_ratio " << page_rps / static_rps << std::endl;
  dir.WriteFile("www/ledger-copy.json", ledger);
  auto [export_rps, static_export_rps] = Pair("ledger_json_vs_static", base + "/ledger.json",
                                              base + "/ledger-copy.json", connections, seconds,
                                              rounds);
  std::cout << "figure: ledger_json_requests_per_s " << export_rps << "\n"
            << "figure: static_ledger_copy_requests_per_s " << static_export_rps << "\n"
            << "figure: ledger_json_vs_static_ratio " << export_rps / static_export_rps
            << std::endl;
  // The page rendered on every request (no cache), against the cached page.
  auto [uncached_rps, cached_rps] = Pair("uncached_vs_cached", "http://" + uncached.http + "/",
                                         base + "/", connections, seconds, 1);
  std::cout << "figure: uncached_page_requests_per_s " << uncached_rps << "\n"
            << "figure: cached_page_requests_per_s_same_pair " << cached_rps << "\n"
            << "figure: uncached_vs_cached_ratio " << uncached_rps / cached_rps << "\n"
            << "bench: load average at end: " << LoadAverage() << std::endl;
  (void)cached.process->Stop();
  (void)uncached.process->Stop();
  (void)harness.DropDatabase(*url);
  return 0;
}
