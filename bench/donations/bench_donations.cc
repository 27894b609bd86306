// freehold-bench-donations: end-to-end webhook intake throughput of the real
// freehold-donations binary (HTTP POST with a Stripe signature -> verify -> parse ->
// idempotent ledger insert -> 200), each event a distinct id, at concurrency 2 and 8,
// beside pgbench's single-row INSERT TPS against the same private PostgreSQL in the
// same run. Prints `figure: NAME VALUE` lines, including the ratio.
//
//   freehold-bench-donations [--seconds 5] [--bin-dir build/bin]
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
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

RunResult RunWebhooks(const std::string& host, int port, int concurrency, absl::Duration duration,
                      const std::string& tag) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<int> errors(concurrency, 0);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      HttpConnection conn(host, port);
      for (int i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const std::string id = absl::StrCat(tag, "_", t, "_", i);
        const int64_t now = absl::ToUnixSeconds(absl::Now());
        const std::string body = dt::PaymentIntentSucceeded({.event_id = "evt_" + id,
                                                             .payment_intent = "pi_" + id,
                                                             .amount = 1000 + i % 97,
                                                             .created = now});
        const std::string request =
            absl::StrCat("POST /webhooks/stripe HTTP/1.1\r\nHost: ", host,
                         "\r\nContent-Type: application/json\r\n"
                         "Stripe-Signature: ",
                         freehold::donations::SignPayload(kSecret, now, body),
                         "\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
        const absl::Time t0 = absl::Now();
        const int status = conn.Post(request);
        latencies[t].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        if (status != 200) ++errors[t];
        if (status < 0) break;
      }
    });
  }
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

double RunPgbench(const std::string& url, const std::string& script, int concurrency, int seconds) {
  const std::string cmd =
      absl::StrCat("/usr/lib/postgresql/15/bin/pgbench -n -M prepared -c ", concurrency, " -j ",
                   concurrency, " -T ", seconds, " -f ", script, " '", url, "' 2>&1");
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

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  std::string bin_dir;
  CLI::App app{"freehold-bench-donations: webhook intake events/s vs pgbench INSERT TPS"};
  app.add_option("--seconds", seconds, "duration of each measurement")->capture_default_str();
  app.add_option("--bin-dir", bin_dir, "directory holding freehold-donations (default: build)");
  CLI11_PARSE(app, argc, argv);
  if (!bin_dir.empty()) setenv("FREEHOLD_BIN_DIR", bin_dir.c_str(), 1);

  auto& harness = freehold::testing::PostgresHarness::Get();
  absl::StatusOr<std::string> url = harness.CreateDatabase();
  if (!url.ok()) Fail("PostgreSQL: " + url.status().ToString());
  TempDir dir("bench-donations-");

  // The service under test.
  const std::string stdout_path = dir.File("stdout.txt");
  auto process = Process::Start(
      {.binary = freehold::testing::BinaryPath("freehold-donations"),
       .args = {"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen",
                "127.0.0.1:0", "--database-url", *url, "--log-level", "warn", "--db-pool-size", "8",
                "--http-threads", "16", "--stripe-webhook-secret", kSecret},
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

  std::cout << "bench: freehold-donations at " << http << ", PostgreSQL " << *url << "\n";
  RunWebhooks(host, port, 2, absl::Seconds(1), "warmup");  // connections, plans, caches
  for (int concurrency : {2, 8}) {
    RunResult r = RunWebhooks(host, port, concurrency, absl::Seconds(seconds),
                              absl::StrCat("c", concurrency));
    double tps = RunPgbench(*url, script, concurrency, seconds);
    std::cout << "figure: webhook_events_per_s_c" << concurrency << " " << r.events_per_second
              << "\n"
              << "figure: webhook_latency_p50_ms_c" << concurrency << " " << r.p50_ms << "\n"
              << "figure: webhook_latency_p99_ms_c" << concurrency << " " << r.p99_ms << "\n"
              << "figure: webhook_errors_c" << concurrency << " " << r.errors << "\n"
              << "figure: pgbench_insert_tps_c" << concurrency << " " << tps << "\n"
              << "figure: webhook_vs_pgbench_ratio_c" << concurrency << " "
              << (tps > 0 ? r.events_per_second / tps : 0) << "\n";
  }
  (void)(*process)->Stop();
  (void)harness.DropDatabase(*url);
  return 0;
}
