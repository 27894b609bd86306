// freehold-bench-donations: end-to-end webhook intake throughput of the real
// freehold-donations binary (HTTP POST with a Stripe signature -> verify -> parse ->
// idempotent ledger insert -> 200), each event a distinct id, at concurrency 2 and 8,
// beside pgbench's single-row INSERT TPS against the same private PostgreSQL in the
// same run. Prints `figure: NAME VALUE` lines, including the ratio; with --rounds N the
// webhook and pgbench runs alternate N times and the figures are medians.
//
//   freehold-bench-donations [--seconds 5] [--rounds 3] [--concurrency 2,8]
//                            [--server-arg=--intake-connections=4] [--bin-dir build/bin]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "services/donations/core/webhook_signature.h"
#include "services/donations/pg/pg_journal_statement.h"
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
constexpr size_t kIdWidth = 24;  // event and payment ids: "<round tag>_<thread>_<n>", padded

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "freehold-bench-donations: " << what << "\n";
  std::exit(1);
}

// One keep-alive HTTP/1.1 connection.
class HttpConnection {
 public:
  HttpConnection(const std::string& host, int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Fail("connect failed");
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~HttpConnection() { close(fd_); }

  // Sends one request, returns the status code (-1 on a broken connection).
  int Post(const std::string& request) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return -1;
      sent += static_cast<size_t>(n);
    }
    std::string buf;
    size_t header_end;
    char chunk[4096];
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return -1;
      buf.append(chunk, static_cast<size_t>(n));
    }
    int status = 0;
    if (buf.size() < 12 || !absl::SimpleAtoi(buf.substr(9, 3), &status)) return -1;
    size_t length = 0;
    size_t cl = buf.find("Content-Length: ");
    if (cl != std::string::npos && cl < header_end) {
      length = std::strtoul(buf.c_str() + cl + 16, nullptr, 10);
    }
    while (buf.size() < header_end + 4 + length) {
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return -1;
      buf.append(chunk, static_cast<size_t>(n));
    }
    return status;
  }

 private:
  int fd_ = -1;
};

struct RunResult {
  double events_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  int errors = 0;
};

// Posts signed Stripe events to `path` for `duration`; a request counts if answered
// `expected_status` (200 for real intake; 404 for the HTTP floor, see main()).
RunResult RunWebhooks(const std::string& host, int port, int concurrency, absl::Duration duration,
                      const std::string& tag, const std::string& path = "/webhooks/stripe",
                      int expected_status = 200) {
  std::atomic<bool> stop{false};
  std::atomic<bool> go{false};
  std::atomic<int> prepared{0};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<int> errors(concurrency, 0);
  std::vector<std::thread> threads;
  // Requests made before the clock starts, enough for 12,000 events/s (more are made on
  // the fly): the load generator shares the CPUs with the service, so its own work
  // (body, HMAC signature, request text) is kept out of the measured window.
  const size_t premade =
      static_cast<size_t>(absl::ToDoubleSeconds(duration) * 12000 / std::max(concurrency, 1)) + 256;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      HttpConnection conn(host, port);
      // One Stripe-shaped body per thread, built once, whose ids are overwritten in place.
      const std::string placeholder(kIdWidth, 'Z');
      std::string body = dt::PaymentIntentSucceeded({.event_id = "evt_" + placeholder,
                                                     .payment_intent = "pi_" + placeholder,
                                                     .amount = 1000 + t,
                                                     .created = absl::ToUnixSeconds(absl::Now())});
      std::vector<size_t> slots;
      for (size_t at = body.find(placeholder); at != std::string::npos;
           at = body.find(placeholder, at + 1)) {
        slots.push_back(at);
      }
      auto make_request = [&](int i) {
        std::string id = absl::StrCat(tag, "_", t, "_", i);
        id.insert(0, kIdWidth - id.size(), '0');
        for (size_t at : slots) body.replace(at, kIdWidth, id);
        const int64_t now = absl::ToUnixSeconds(absl::Now());
        return absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", host,
                            "\r\nContent-Type: application/json\r\n"
                            "Stripe-Signature: ",
                            freehold::donations::SignPayload(kSecret, now, body),
                            "\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
      };
      std::vector<std::string> requests;
      requests.reserve(premade);
      for (size_t i = 0; i < premade; ++i) requests.push_back(make_request(static_cast<int>(i)));
      latencies[t].reserve(premade);
      prepared.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      for (size_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (i == requests.size()) requests.push_back(make_request(static_cast<int>(i)));
        const absl::Time t0 = absl::Now();
        const int status = conn.Post(requests[i]);
        latencies[t].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        std::string().swap(requests[i]);
        if (status != expected_status) ++errors[t];
        if (status < 0) break;
      }
    });
  }
  for (int spin = 0; prepared.load() < concurrency && spin < 600000; ++spin) {
    absl::SleepFor(absl::Microseconds(100));
  }
  const absl::Time start = absl::Now();
  go = true;
  absl::SleepFor(duration);
  stop = true;
  for (auto& th : threads) th.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  RunResult r;
  for (int t = 0; t < concurrency; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    r.errors += errors[t];
  }
  std::sort(all.begin(), all.end());
  r.events_per_second = static_cast<double>(all.size() - r.errors) / seconds;
  if (!all.empty()) {
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

// pgbench's TPS; `settings` (e.g. "-c plan_cache_mode=force_generic_plan") are given to
// its sessions through PGOPTIONS.
double RunPgbench(const std::string& url, const std::string& script, int concurrency, int seconds,
                  const std::string& settings = "") {
  const std::string cmd = absl::StrCat(
      "PGOPTIONS='", settings, "' /usr/lib/postgresql/15/bin/pgbench -n -M prepared -c ",
      concurrency, " -j ", concurrency, " -T ", seconds, " -f ", script, " '", url, "' 2>&1");
  int code = 0;
  std::string out = dt::RunCommand(cmd, &code);
  if (code != 0) Fail("pgbench failed: " + out);
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, "tps = ")) {
      double tps = 0;
      std::string num(line.substr(6, line.find(' ', 6) - 6));
      if (absl::SimpleAtod(num, &tps)) return tps;
    }
  }
  Fail("cannot parse pgbench output: " + out);
}

// Milliseconds until every payment journaled so far is in the ledger (the service copies
// them every --ledger-projection-interval), polled every 2 ms for at most 60 s.
double LedgerCatchUpMs(const std::string& url) {
  pqxx::connection conn(url);
  const absl::Time start = absl::Now();
  while (absl::Now() - start < absl::Seconds(60)) {
    pqxx::nontransaction tx(conn);
    const int64_t pending =
        tx.exec("SELECT count(*) FROM donations.ledger_journal_waiting")[0][0].as<int64_t>();
    if (pending == 0) break;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return absl::ToDoubleMilliseconds(absl::Now() - start);
}

// The 1-minute load average (other engineers share the machine).
std::string LoadAverage() {
  std::string text = ReadFileOrEmpty("/proc/loadavg");
  return text.substr(0, text.find(' '));
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  int rounds = 1;
  std::vector<int> concurrencies = {2, 8};
  std::vector<std::string> server_args;
  std::string bin_dir;
  CLI::App app{"freehold-bench-donations: webhook intake events/s vs pgbench INSERT TPS"};
  app.add_option("--seconds", seconds, "duration of each measurement")->capture_default_str();
  app.add_option("--rounds", rounds,
                 "measure each concurrency this many times, alternating with pgbench "
                 "(figures are medians; each round's ratio is printed too)")
      ->capture_default_str();
  app.add_option("--concurrency", concurrencies, "client connections to measure at")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option(
      "--server-arg", server_args,
      "extra freehold-donations flag (repeatable), e.g. --server-arg=--intake-connections=4");
  app.add_option("--bin-dir", bin_dir, "directory holding freehold-donations (default: build)");
  CLI11_PARSE(app, argc, argv);
  if (!bin_dir.empty()) setenv("FREEHOLD_BIN_DIR", bin_dir.c_str(), 1);

  auto& harness = freehold::testing::PostgresHarness::Get();
  absl::StatusOr<std::string> url = harness.CreateDatabase();
  if (!url.ok()) Fail("PostgreSQL: " + url.status().ToString());
  TempDir dir("bench-donations-");

  // The service under test.
  const std::string stdout_path = dir.File("stdout.txt");
  std::vector<std::string> args = {
      "--listen",       "127.0.0.1:0", "--metrics-listen",        "127.0.0.1:0",
      "--http-listen",  "127.0.0.1:0", "--database-url",          *url,
      "--log-level",    "warn",        "--db-pool-size",          "8",
      "--http-threads", "16"};
  args.insert(args.end(), server_args.begin(), server_args.end());
  auto process = Process::Start({.binary = freehold::testing::BinaryPath("freehold-donations"),
                                 .args = args,
                                 .env = {{"FREEHOLD_STRIPE_WEBHOOK_SECRET", kSecret}},
                                 .stdout_path = stdout_path});
  if (!process.ok()) Fail(process.status().ToString());
  std::string http;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (http.empty() && absl::Now() < deadline) {
    std::string out = ReadFileOrEmpty(stdout_path);
    size_t pos = out.find(" http=");
    if (pos != std::string::npos) http = out.substr(pos + 6, out.find('\n', pos) - pos - 6);
    if (!(*process)->Running()) Fail("freehold-donations exited: " + (*process)->ReadStderr());
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (http.empty()) Fail("freehold-donations did not get ready");
  std::string metrics_address;
  {
    const std::string out = ReadFileOrEmpty(stdout_path);
    const size_t pos = out.find(" metrics=");
    if (pos != std::string::npos) {
      metrics_address = out.substr(pos + 9, out.find(' ', pos + 9) - pos - 9);
    }
  }
  const std::string host = http.substr(0, http.rfind(':'));
  int port = 0;
  (void)absl::SimpleAtoi(http.substr(http.rfind(':') + 1), &port);

  // The reference: one-row INSERTs into a table of the same database.
  int code = 0;
  dt::RunCommand(absl::StrCat("/usr/lib/postgresql/15/bin/psql -q '", *url,
                              "' -c 'CREATE TABLE bench_insert (id bigserial PRIMARY KEY, "
                              "event_id text NOT NULL, amount_minor bigint NOT NULL, "
                              "created_at timestamptz NOT NULL DEFAULT now())' 2>&1"),
                 &code);
  if (code != 0) Fail("cannot create the pgbench table");
  const std::string script = dir.WriteFile(
      "insert.sql",
      "\\set n random(1, 1000000000)\n"
      "INSERT INTO bench_insert (event_id, amount_minor) VALUES ('evt_' || :n, :n % 1000);\n");

  // The database side alone: the intake's journal statement for a batch of one payment
  // (what a group-commit batch of one costs PostgreSQL), no HTTP, no service.
  std::string journal_sql = freehold::donations::pg_internal::JournalStatementSql(1);
  {
    const std::vector<std::string> values = {"'stripe'",
                                             "'evt_sql_' || :client_id || '_' || :n",
                                             "'payment_intent.succeeded'",
                                             "'payment'",
                                             "'2024-03-15T12:00:00Z'",
                                             "'pi_sql_' || :client_id || '_' || :n",
                                             "false",
                                             "false",
                                             "gen_random_uuid()",
                                             "'one_off'",
                                             "1000",
                                             "'EUR'",
                                             "NULL",
                                             "NULL",
                                             "2",
                                             "2",
                                             "'1'",
                                             "1000"};
    for (int k = static_cast<int>(values.size()); k >= 1; --k) {  // $18 before $1
      journal_sql = absl::StrReplaceAll(journal_sql, {{absl::StrCat("$", k), values[k - 1]}});
    }
  }
  const std::string sql_script =
      dir.WriteFile("intake.sql", "\\set n random(1, 2000000000)\n" + journal_sql + ";\n");

  std::cout << "bench: freehold-donations at " << http << ", PostgreSQL " << *url << "\n";
  std::cout << "bench: server flags:";
  for (const std::string& a : server_args) std::cout << " " << a;
  std::cout << "\nbench: load average at start: " << LoadAverage() << std::endl;
  RunWebhooks(host, port, 2, absl::Seconds(1), "warmup");  // connections, plans, caches
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2;
  };
  for (int concurrency : concurrencies) {
    std::vector<double> events, p50, p99, tps, ratios, lag_ms, in_ledger;
    int errors = 0;
    for (int round = 0; round < rounds; ++round) {
      // Alternate the order so a load change on the shared machine hits both sides.
      double t = 0;
      RunResult r;
      const std::string tag = absl::StrCat("c", concurrency, "r", round);
      // The intake answers once an event is journaled; its ledger entry follows. The
      // time until the ledger holds every event counts in in_ledger (events per second
      // from the first request until the last entry is in the ledger).
      double lag = 0;
      if (round % 2 == 0) {
        r = RunWebhooks(host, port, concurrency, absl::Seconds(seconds), tag);
        lag = LedgerCatchUpMs(*url);
        t = RunPgbench(*url, script, concurrency, seconds);
      } else {
        t = RunPgbench(*url, script, concurrency, seconds);
        r = RunWebhooks(host, port, concurrency, absl::Seconds(seconds), tag);
        lag = LedgerCatchUpMs(*url);
      }
      lag_ms.push_back(lag);
      in_ledger.push_back(r.events_per_second * seconds / (seconds + lag / 1000));
      events.push_back(r.events_per_second);
      p50.push_back(r.p50_ms);
      p99.push_back(r.p99_ms);
      tps.push_back(t);
      errors += r.errors;
      ratios.push_back(t > 0 ? r.events_per_second / t : 0);
      std::cout << "round: c" << concurrency << " #" << round << " events/s " << r.events_per_second
                << " pgbench tps " << t << " ratio " << ratios.back() << " load " << LoadAverage()
                << std::endl;
    }
    // The HTTP floor: the same signed requests to a provider that does not exist, answered
    // 404 by the handler before any signature check, parsing or database work.
    const RunResult floor = RunWebhooks(host, port, concurrency, absl::Seconds(seconds),
                                        absl::StrCat("floor", concurrency), "/webhooks/none", 404);
    // The cheapest conceivable webhook: this HTTP exchange followed by one pgbench INSERT,
    // back to back on the same CPUs, nothing else (no signature, no JSON, no ledger).
    const double bound = floor.events_per_second > 0 && median(tps) > 0
                             ? 1 / (1 / floor.events_per_second + 1 / median(tps))
                             : 0;
    std::cout << "figure: http_floor_requests_per_s_c" << concurrency << " "
              << floor.events_per_second << "\n"
              << "figure: http_floor_vs_pgbench_ratio_c" << concurrency << " "
              << (median(tps) > 0 ? floor.events_per_second / median(tps) : 0) << "\n"
              << "figure: http_plus_insert_bound_vs_pgbench_ratio_c" << concurrency << " "
              << (median(tps) > 0 ? bound / median(tps) : 0) << "\n";
    // With the intake connections' plan setting (pg_one_statement_intake.cc).
    const double sql_calls =
        RunPgbench(*url, sql_script, concurrency, seconds, "-c plan_cache_mode=force_generic_plan");
    std::cout << "figure: sql_intake_calls_per_s_c" << concurrency << " " << sql_calls << "\n"
              << "figure: sql_intake_vs_pgbench_ratio_c" << concurrency << " "
              << (median(tps) > 0 ? sql_calls / median(tps) : 0) << "\n";
    std::cout << "figure: webhook_events_per_s_c" << concurrency << " " << median(events) << "\n"
              << "figure: webhook_latency_p50_ms_c" << concurrency << " " << median(p50) << "\n"
              << "figure: webhook_latency_p99_ms_c" << concurrency << " " << median(p99) << "\n"
              << "figure: webhook_errors_c" << concurrency << " " << errors << "\n"
              << "figure: ledger_catch_up_ms_c" << concurrency << " " << median(lag_ms) << "\n"
              << "figure: webhook_events_in_ledger_per_s_c" << concurrency << " "
              << median(in_ledger) << "\n"
              << "figure: pgbench_insert_tps_c" << concurrency << " " << median(tps) << "\n"
              << "figure: webhook_vs_pgbench_ratio_c" << concurrency << " " << median(ratios)
              << std::endl;
  }
  // How the events were applied (informational, not figures).
  if (!metrics_address.empty()) {
    int curl_code = 0;
    const std::string metrics = dt::RunCommand(
        absl::StrCat("curl -s --max-time 10 http://", metrics_address, "/metrics"), &curl_code);
    double batches = 0, batched = 0;
    for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
      auto value = [&](absl::string_view prefix, double* out) {
        if (absl::StartsWith(line, prefix)) {
          (void)absl::SimpleAtod(line.substr(line.rfind(' ') + 1), out);
        }
      };
      value("freehold_donations_intake_batch_events_count ", &batches);
      value("freehold_donations_intake_batch_events_sum ", &batched);
      if (absl::StartsWith(line, "freehold_donations_intake_path_total")) {
        std::cout << "bench: " << line << "\n";
      }
    }
    if (batches > 0) {
      std::cout << "bench: group-commit batches " << batches << ", mean events per batch "
                << batched / batches << "\n";
    }
  }
  (void)(*process)->Stop();
  (void)harness.DropDatabase(*url);
  return 0;
}
