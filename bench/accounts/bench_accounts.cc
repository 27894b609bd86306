// freehold-bench-accounts: how fast is the accounts service compared with what the
// machine can do anyway?
//
//  1. Logins per second, server side: a private PostgreSQL (tests/support harness) and the
//     real freehold-accounts binary; clients send Login with precomputed auth keys (client
//     Argon2id excluded); every login writes a session row. Beside it, pgbench with a
//     one-INSERT script at the same concurrency against the same server, in the same run.
//     The client is built like pgbench -c N -j N: N threads, each with its own connection
//     and one call in flight (--client async: one thread and a completion queue).
//  2. Access-token verifications per second (TokenIssuer::VerifyAccessToken: decode,
//     Ed25519 verify, claims checks) beside raw crypto_sign_verify_detached calls on a
//     message of the same length.
//
// Prints "figure: NAME VALUE" lines. Flags: --seconds N (per measurement, default 5),
// --accounts N (default 64), --concurrency LIST (default 2,8), --rounds N (default 3),
// --skip-tokens, --skip-logins, --client threads|async, --login-workers N, --noop-only,
// --tls-price (logins/s through TLS vs plaintext of the same build, and the handshake).
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <sodium.h>
#include <stdio.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/secure_compare.h"
#include "common/signed_token.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/validation.h"
#include "services/accounts/pg/pg_account_repository.h"
#include "tests/accounts/accounts_test_support.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "common/peer_identity.h"
#include "common/tls_config.h"

namespace freehold::accounts::bench {
namespace {

using freehold::testing::Process;
using freehold::testing::TempDir;
using testing::MakeAccount;
using testing::NewAccount;
using testing::PlainContext;

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "freehold-bench-accounts: " << what << "\n";
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

constexpr char kPepperSecret[] = "bench-pepper-0123456789abcdef0123456789abcdef";

void Figure(const std::string& name, double value) {
  std::printf("figure: %s %.4g\n", name.c_str(), value);
  std::fflush(stdout);
}

struct LoginTarget {
  std::string handle;
  std::string auth_key;
};

// Keeps `concurrency` calls in flight for `seconds` from one thread through a completion
// queue (the lightest gRPC client, so that it steals as little CPU as possible from the
// server and PostgreSQL on a shared machine). Returns completed calls per second; dies if
// any call fails.
template <typename Req, typename Resp, typename Fill, typename Start>
double DriveAsync(int concurrency, double seconds, Fill fill, Start start_rpc) {
  struct Call {
    grpc::ClientContext ctx;
    Req req;
    Resp resp;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> rpc;
  };
  grpc::CompletionQueue cq;
  auto start_call = [&](std::unique_ptr<Call>& slot) {
    slot = std::make_unique<Call>();
    fill(slot->req);
    slot->rpc = start_rpc(&slot->ctx, slot->req, &cq);
    slot->rpc->Finish(&slot->resp, &slot->status, &slot);
  };
  std::vector<std::unique_ptr<Call>> slots(concurrency);
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  for (auto& slot : slots) start_call(slot);
  int64_t ok = 0, failed = 0;
  int in_flight = concurrency;
  void* tag;
  bool got;
  std::string error;
  while (in_flight > 0 && cq.Next(&tag, &got)) {
    auto& slot = *static_cast<std::unique_ptr<Call>*>(tag);
    if (got && slot->status.ok()) {
      ok++;
    } else {
      failed++;
      error = slot->status.error_message();
    }
    if (absl::Now() < end) {
      start_call(slot);
    } else {
      --in_flight;
    }
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  cq.Shutdown();
  while (cq.Next(&tag, &got)) {
  }
  if (failed > 0) Die(absl::StrCat(failed, " calls failed during the measurement: ", error));
  return ok / elapsed;
}

// Like pgbench -c N -j N: `concurrency` client threads, each with its own channel (its
// own TCP connection) and one blocking call in flight. `call(stub, i)` makes call i.
// Returns completed calls per second; dies if any call fails.
template <typename Call>
double DriveThreads(const std::string& address, int concurrency, double seconds, Call call,
                    const ClientTlsOptions& tls = {}) {
  std::vector<std::unique_ptr<v1::Accounts::Stub>> stubs;
  for (int t = 0; t < concurrency; ++t) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per thread
    auto stub = v1::Accounts::NewStub(OrDie(MakeChannel(address, tls, args), "channel"));
    grpc::Status warm = call(*stub, t);  // connect outside the timing
    if (!warm.ok()) Die("warm-up call failed: " + warm.error_message());
    stubs.push_back(std::move(stub));
  }
  std::atomic<int64_t> ok{0}, failed{0};
  std::atomic<size_t> next{0};
  std::string error;
  absl::Mutex error_mu;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      int64_t n = 0;
      while (absl::Now() < end) {
        grpc::Status s = call(*stubs[t], next.fetch_add(1, std::memory_order_relaxed));
        if (s.ok()) {
          n++;
        } else {
          failed++;
          absl::MutexLock lock(&error_mu);
          error = s.error_message();
        }
      }
      ok += n;
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  if (failed > 0) Die(absl::StrCat(failed.load(), " calls failed during the measurement: ", error));
  return ok / elapsed;
}

bool g_async_client = false;  // --client async: one thread, one channel, a completion queue

// Logins per second with `concurrency` calls in flight for `seconds`.
double MeasureLogins(const std::string& address, const std::vector<LoginTarget>& targets,
                     int concurrency, double seconds, const ClientTlsOptions& tls = {}) {
  if (!g_async_client || tls.active()) {
    return DriveThreads(address, concurrency, seconds, [&](v1::Accounts::Stub& stub, size_t i) {
      const LoginTarget& t = targets[i % targets.size()];
      v1::LoginRequest req;
      req.set_handle(t.handle);
      req.set_auth_key(t.auth_key);
      req.set_device_name("bench");
      v1::LoginResponse resp;
      grpc::ClientContext ctx;
      return stub.Login(&ctx, req, &resp);
    }, tls);
  }
  auto stub = v1::Accounts::NewStub(OrDie(MakeChannel(address), "channel"));
  // Warm-up (connection, prepared statements on several pool connections).
  for (int i = 0; i < 2 * concurrency; ++i) {
    v1::LoginRequest req;
    req.set_handle(targets[i % targets.size()].handle);
    req.set_auth_key(targets[i % targets.size()].auth_key);
    v1::LoginResponse resp;
    grpc::Status s = stub->Login(PlainContext().get(), req, &resp);
    if (!s.ok()) Die("warm-up login failed: " + s.error_message());
  }
  size_t next = 0;
  return DriveAsync<v1::LoginRequest, v1::LoginResponse>(
      concurrency, seconds,
      [&](v1::LoginRequest& req) {
        const LoginTarget& t = targets[next++ % targets.size()];
        req.set_handle(t.handle);
        req.set_auth_key(t.auth_key);
        req.set_device_name("bench");
      },
      [&](grpc::ClientContext* ctx, const v1::LoginRequest& req, grpc::CompletionQueue* cq) {
        return stub->AsyncLogin(ctx, req, cq);
      });
}

// What a fresh CLI process pays before its first answer: a new connection (TCP, and
// with TLS the handshake) plus one call without database work. Median of `n` in ms.
double MeasureFreshConnectionMs(const std::string& address, const ClientTlsOptions& tls, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // never reuse a connection
    const absl::Time start = absl::Now();
    auto stub = v1::Accounts::NewStub(OrDie(MakeChannel(address, tls, args), "channel"));
    v1::GetVerificationKeysRequest req;
    v1::GetVerificationKeysResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::Status s = stub->GetVerificationKeys(&ctx, req, &resp);
    if (!s.ok()) Die("fresh-connection call failed: " + s.error_message());
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// A gRPC call that touches no database (GetVerificationKeys): the service's RPC ceiling.
double MeasureNoopRpcs(const std::string& address, int concurrency, double seconds) {
  if (!g_async_client) {
    return DriveThreads(address, concurrency, seconds, [](v1::Accounts::Stub& stub, size_t) {
      v1::GetVerificationKeysRequest req;
      v1::GetVerificationKeysResponse resp;
      grpc::ClientContext ctx;
      return stub.GetVerificationKeys(&ctx, req, &resp);
    });
  }
  auto stub = v1::Accounts::NewStub(OrDie(MakeChannel(address), "channel"));
  return DriveAsync<v1::GetVerificationKeysRequest, v1::GetVerificationKeysResponse>(
      concurrency, seconds, [](v1::GetVerificationKeysRequest&) {},
      [&](grpc::ClientContext* ctx, const v1::GetVerificationKeysRequest& req,
          grpc::CompletionQueue* cq) { return stub->AsyncGetVerificationKeys(ctx, req, cq); });
}

// The login's database step alone (PgAccountRepository::LoginAndCreateSession, which
// creates a session row) from `threads` threads, without gRPC: where the time goes.
double MeasureLoginStatements(const std::string& db_url, const std::vector<LoginTarget>& targets,
                              const std::string& pepper_secret, int threads, double seconds) {
  PgPool pool(AccountsPoolOptions(db_url, threads));
  PgAccountRepository repo(pool);
  const Pepper pepper = OrDie(Pepper::FromSecret(pepper_secret), "pepper");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, failed{0};
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t i = t; !stop.load(std::memory_order_relaxed); i += threads) {
        const LoginTarget& target = targets[i % targets.size()];
        const absl::Time now = absl::Now();
        NewSession session{NewUuid(),           "", "bench", HashRefreshToken(RandomBytes(32)), now,
                           now + absl::Hours(1)};
        auto r =
            repo.LoginAndCreateSession(target.handle, pepper.Verifier(target.auth_key), session);
        if (r.ok() && r->has_value() && (*r)->session_created) {
          ok++;
        } else {
          failed++;
        }
      }
    });
  }
  absl::SleepFor(absl::Seconds(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  if (failed > 0) Die("login statements failed");
  return ok / absl::ToDoubleSeconds(absl::Now() - start);
}

// pgbench TPS for `script` at `clients` connections, query protocol `mode` ("prepared"
// like the service, or pgbench's default "simple").
double MeasurePgbench(const std::string& db_url, const std::string& script, int clients,
                      double seconds, const TempDir& dir, const std::string& mode = "prepared") {
  const std::string out = dir.File(absl::StrCat("pgbench-", clients, ".out"));
  const std::string cmd = absl::StrCat(
      "/usr/lib/postgresql/15/bin/pgbench -n -M ", mode, " -f ", script, " -c ", clients, " -j ",
      clients, " -T ", static_cast<int>(seconds), " '", db_url, "' > ", out, " 2>&1");
  if (std::system(cmd.c_str()) != 0) {
    Die("pgbench failed: " + freehold::testing::ReadFileOrEmpty(out));
  }
  const std::string text = freehold::testing::ReadFileOrEmpty(out);
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(R"(tps = ([0-9.]+))"))) {
    Die("cannot parse pgbench output: " + text);
  }
  return std::stod(m[1]);
}

void BenchTokens(double seconds) {
  SigningKey key = OrDie(GenerateSigningKey("bench"), "key");
  TokenSigner signer(key);
  TokenVerifier verifier({key.Public()});
  AccountsOptions options;
  TokenIssuer issuer(signer, verifier, options);
  const absl::Time now = absl::Now();
  const std::string token = issuer.IssueAccessToken(NewUuid(), NewUuid(), now).first;

  // Reference: raw Ed25519 verification of a message as long as the token's payload.
  const std::string payload = std::string(token.substr(0, token.find('.')));
  const std::string msg(payload.size() * 3 / 4 + 40, 'm');  // decoded payload + domain prefix
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       key.secret.data());

  // Alternate short slices of both loops so machine noise hits them alike.
  auto run_for = [](absl::Duration d, auto&& fn) {
    int64_t n = 0;
    const absl::Time start = absl::Now();
    absl::Time t = start;
    while (t - start < d) {
      for (int i = 0; i < 64; ++i) fn();
      n += 64;
      t = absl::Now();
    }
    return std::make_pair(n, t - start);
  };
  std::atomic<int64_t> bad{0};
  auto raw_once = [&] {
    if (crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(msg.data()),
                                    msg.size(), key.public_key.data()) != 0) {
      bad++;
    }
  };
  auto verify_once = [&] {
    if (!issuer.VerifyAccessToken(token, now).ok()) bad++;
  };
  constexpr int kSlices = 20;
  const absl::Duration slice = absl::Seconds(seconds) / kSlices;
  int64_t raw_n = 0, verify_n = 0;
  absl::Duration raw_t, verify_t;
  for (int i = 0; i < kSlices; ++i) {
    auto [n1, t1] = run_for(slice, raw_once);
    auto [n2, t2] = run_for(slice, verify_once);
    raw_n += n1;
    raw_t += t1;
    verify_n += n2;
    verify_t += t2;
  }
  const double raw = raw_n / absl::ToDoubleSeconds(raw_t);
  const double verify = verify_n / absl::ToDoubleSeconds(verify_t);
  if (bad > 0) Die("verification failed during the benchmark");
  Figure("accounts_token_verify_per_sec", verify);
  Figure("raw_ed25519_verify_per_sec", raw);
  Figure("accounts_token_verify_vs_raw_ratio", verify / raw);
}

int Main(int argc, char** argv) {
  CLI::App app{"freehold-bench-accounts: login and token verification throughput"};
  double seconds = 5;
  int n_accounts = 64;
  std::vector<int> concurrency = {2, 8};
  int pool_size = 8;
  int rounds = 3;
  int login_workers = 4;
  app.add_option("--seconds", seconds, "seconds per measurement")->capture_default_str();
  app.add_option("--accounts", n_accounts, "accounts to log in as")->capture_default_str();
  app.add_option("--concurrency", concurrency, "client concurrency levels")->delimiter(',');
  app.add_option("--pool-size", pool_size, "service database pool size")->capture_default_str();
  app.add_option("--rounds", rounds, "interleaved slices per measurement")->capture_default_str();
  app.add_option("--login-workers", login_workers, "service --login-workers")
      ->capture_default_str();
  bool skip_tokens = false, skip_logins = false, noop_only = false, tls_price = false;
  std::string client = "threads";
  app.add_option("--client", client,
                 "threads: a thread and a channel per concurrent call, like pgbench -j; "
                 "async: one thread driving all calls through a completion queue")
      ->check(CLI::IsMember({"threads", "async"}))
      ->capture_default_str();
  app.add_flag("--skip-tokens", skip_tokens, "skip the token verification measurement");
  app.add_flag("--skip-logins", skip_logins, "skip the login measurement");
  app.add_flag("--tls-price", tls_price,
               "only the price of TLS: logins through a plaintext and a TLS service of the same "
               "build on the same database, interleaved, and a fresh connection's first call");
  app.add_flag("--noop-only", noop_only,
               "only the no-database RPC, for --seconds per level (for profiling the server)");
  CLI11_PARSE(app, argc, argv);
  if (sodium_init() < 0) Die("sodium_init failed");
  g_async_client = client == "async";

  if (!skip_tokens) BenchTokens(seconds);
  if (skip_logins) return 0;

  TempDir dir("bench-accounts-");
  auto& harness = freehold::testing::PostgresHarness::Get();
  const std::string db_url = OrDie(harness.CreateDatabase(), "create database");
  const std::string pepper = dir.WriteFile("pepper", kPepperSecret);
  freehold::testing::ProcessOptions options;
  options.binary = freehold::testing::BinaryPath("freehold-accounts");
  options.args = {"--listen",
                  "127.0.0.1:0",
                  "--metrics-listen",
                  "127.0.0.1:0",
                  "--database-url",
                  db_url,
                  "--data-dir",
                  dir.File("data"),
                  "--pepper-file",
                  pepper,
                  "--allow-weak-kdf",
                  "--database-pool-size",
                  std::to_string(pool_size),
                  "--login-workers",
                  std::to_string(login_workers),
                  "--registrations-per-address-per-hour",
                  "0",
                  "--login-free-failures-per-address",
                  "1000000",
                  "--log-level",
                  "warn"};
  auto proc = OrDie(Process::Start(options), "start freehold-accounts");
  const std::string ready =
      OrDie(proc->WaitForStderrLine("READY grpc=", absl::Seconds(60)), "wait for READY");
  std::vector<std::string> parts = absl::StrSplit(ready, ' ');
  if (parts.size() < 2) Die("bad READY line: " + ready);
  const std::string address(absl::StripAsciiWhitespace(parts[1].substr(5)));
  auto channel = OrDie(MakeChannel(address), "channel");
  auto stub = v1::Accounts::NewStub(channel);

  // Accounts with precomputed auth keys (Argon2id happens here, outside the timing).
  std::vector<LoginTarget> targets;
  for (int i = 0; i < n_accounts; ++i) {
    NewAccount a = OrDie(MakeAccount(absl::StrCat("bench", i), "password"), "make account");
    OrDie(testing::RegisterAccount(*stub, a), "register");
    targets.push_back({a.handle, a.auth_key});
  }

  if (tls_price) {
    // The TLS twin: same binary and database, certificates of a private CA.
    if (!freehold::testing::TestPki::Available()) Die("--tls-price needs the openssl command");
    freehold::testing::TestPki pki;
    const TlsConfig server = pki.Issue("accounts", kRoleAccounts, "bench");
    freehold::testing::ProcessOptions tls_options = options;
    auto data_dir = std::find(tls_options.args.begin(), tls_options.args.end(), "--data-dir");
    *(data_dir + 1) = dir.File("data-tls");  // its own signing keys
    tls_options.args.insert(tls_options.args.end(),
                            {"--tls-cert", server.cert_file, "--tls-key", server.key_file,
                             "--tls-ca", server.ca_file});
    auto tls_proc = OrDie(Process::Start(tls_options), "start the TLS freehold-accounts");
    const std::string tls_ready =
        OrDie(tls_proc->WaitForStderrLine("READY grpc=", absl::Seconds(60)), "wait for READY");
    std::vector<std::string> tls_parts = absl::StrSplit(tls_ready, ' ');
    const std::string tls_address(absl::StripAsciiWhitespace(tls_parts[1].substr(5)));
    const ClientTlsOptions client_tls = pki.TrustOnly();  // as the CLI connects
    const double slice = std::max(1.0, std::round(seconds / rounds));
    for (int c : concurrency) {
      double plain = 0, tls = 0;
      for (int r = 0; r < rounds; ++r) {
        plain += MeasureLogins(address, targets, c, slice) / rounds;
        tls += MeasureLogins(tls_address, targets, c, slice, client_tls) / rounds;
      }
      const std::string n = absl::StrCat("_c", c);
      Figure("accounts_logins_per_sec_plaintext" + n, plain);
      Figure("accounts_logins_per_sec_tls" + n, tls);
      Figure("tls_login_ratio" + n, tls / plain);
    }
    const double fresh_plain = MeasureFreshConnectionMs(address, {}, 101);
    const double fresh_tls = MeasureFreshConnectionMs(tls_address, client_tls, 101);
    Figure("fresh_connection_first_call_ms_plaintext", fresh_plain);
    Figure("fresh_connection_first_call_ms_tls", fresh_tls);
    Figure("tls_handshake_ms", fresh_tls - fresh_plain);
    (void)tls_proc->Stop();
    (void)proc->Stop();
    (void)harness.DropDatabase(db_url);
    return 0;
  }

  // pgbench reference table and script in the same database and server.
  const std::string script = dir.WriteFile(
      "insert.sql", "INSERT INTO public.bench_insert (payload) VALUES ('0123456789abcdef');\n");
  const std::string create = absl::StrCat(
      "/usr/lib/postgresql/15/bin/psql -q '", db_url,
      "' -c 'CREATE TABLE public.bench_insert (id bigserial PRIMARY KEY, payload text, "
      "created_at timestamptz DEFAULT now())' > /dev/null");
  if (std::system(create.c_str()) != 0) Die("cannot create the pgbench table");

  // The login's SQL alone through pgbench (same statement shape as the service's).
  const std::string login_script = dir.WriteFile(
      "login.sql",
      absl::StrCat("\\set i random(0, ", n_accounts - 1, ")\n",
                   "WITH a AS (SELECT account_id AS id, verifier AS v FROM accounts.accounts "
                   "WHERE handle = 'bench' || :i AND deleted_at IS NULL), "
                   "s AS (INSERT INTO accounts.sessions (session_id, account_id, device_name, "
                   "refresh_hash, created_at, last_used_at, expires_at) SELECT "
                   "gen_random_uuid(), id, 'pgbench', sha256(random()::text::bytea), now(), now(), "
                   "now() + interval '1 hour' FROM a WHERE sha256(a.v) = sha256(a.v) "
                   "RETURNING session_id) SELECT a.*, EXISTS (SELECT 1 FROM s) FROM a;\n"));

  // Each measurement runs in `rounds` interleaved slices, so that load from other
  // processes on a shared machine hits all of them alike; rates are averaged over slices.
  if (noop_only) {
    for (int c : concurrency) {
      Figure(absl::StrCat("accounts_noop_rpc_per_sec_c", c), MeasureNoopRpcs(address, c, seconds));
    }
    (void)proc->Stop();
    (void)harness.DropDatabase(db_url);
    return 0;
  }
  const double slice = std::max(1.0, std::round(seconds / rounds));
  for (int c : concurrency) {
    double logins = 0, inserts = 0, inserts_simple = 0, login_sql = 0, noop = 0, statements = 0;
    for (int r = 0; r < rounds; ++r) {
      logins += MeasureLogins(address, targets, c, slice) / rounds;
      inserts += MeasurePgbench(db_url, script, c, slice, dir) / rounds;
      inserts_simple += MeasurePgbench(db_url, script, c, slice, dir, "simple") / rounds;
      login_sql += MeasurePgbench(db_url, login_script, c, slice, dir) / rounds;
      noop += MeasureNoopRpcs(address, c, slice) / rounds;
      statements += MeasureLoginStatements(db_url, targets, kPepperSecret, c, slice) / rounds;
    }
    const std::string n = absl::StrCat("_c", c);
    Figure("accounts_logins_per_sec" + n, logins);
    Figure("pgbench_insert_tps" + n, inserts);
    Figure("accounts_logins_vs_pgbench_insert_ratio" + n, logins / inserts);
    Figure("pgbench_insert_simple_protocol_tps" + n, inserts_simple);
    Figure("accounts_logins_vs_pgbench_insert_simple_ratio" + n, logins / inserts_simple);
    // Breakdown: the login's SQL through pgbench, the same statement through the service's
    // repository without gRPC, and a gRPC call without database work.
    Figure("pgbench_login_sql_tps" + n, login_sql);
    Figure("accounts_logins_vs_pgbench_login_sql_ratio" + n, logins / login_sql);
    Figure("accounts_login_db_statement_per_sec" + n, statements);
    Figure("accounts_noop_rpc_per_sec" + n, noop);
  }
  (void)proc->Stop();
  (void)harness.DropDatabase(db_url);
  return 0;
}

}  // namespace
}  // namespace freehold::accounts::bench

int main(int argc, char** argv) { return freehold::accounts::bench::Main(argc, argv); }
