// freehold-bench-storaged: how fast a real freehold-storaged stores and serves
// shards over loopback gRPC, beside a plain local writer/reader moving the same
// bytes on the same disk in the same run.
//
//   plain write: open, write in chunks, fsync, close (per shard)
//   storaged put: PutShard (grant + chunks) -> SHA-256, temp file, fsync, rename,
//                 directory fsync, signed receipt
//   plain read / storaged get: after evicting the files from the page cache
//                 (posix_fadvise DONTNEED), read everything back.
// Shard by shard the two sides alternate, so both see the same background load.
// With --compare-tls (default) a second daemon of the same build runs with mutual
// TLS (a private CA from deploy/tls/pki.sh) and every put and get is also made
// through it in the same loop: the price of TLS as tls_put_ratio / tls_get_ratio
// (TLS throughput over plaintext throughput).
//
// Prints "figure: NAME VALUE" lines (MB = 10^6 bytes); the ratios are the headline.
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/storaged/socket_bound.h"
#include "common/signed_token.h"
#include "services/storaged/core/grants.h"
#include "services/storaged/core/key_ring.h"
#include "tests/storaged/storaged_harness.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "common/peer_identity.h"

namespace {

using namespace freehold;                     // NOLINT
using namespace freehold::storaged;           // NOLINT
using namespace freehold::storaged::testing;  // NOLINT

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "freehold-bench-storaged: %s\n", what.c_str());
  std::exit(1);
}

void Evict(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

void EvictTree(const std::string& root) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) Evict(entry.path().string());
  }
}

// CPU seconds (user + system) used so far by process `pid`.
double ProcessCpuSeconds(pid_t pid) {
  std::FILE* f = std::fopen(absl::StrCat("/proc/", pid, "/stat").c_str(), "r");
  if (f == nullptr) return 0;
  char buf[4096];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // Fields after the ")" closing the command name: utime is field 14, stime 15.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  unsigned long utime = 0, stime = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) !=
      2) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// freehold_storaged_fsync_seconds_sum from the daemon's /metrics.
double FsyncSecondsSum(StoragedDaemon& daemon) {
  absl::StatusOr<std::string> body = HttpGetMetrics(daemon.metrics_address());
  if (!body.ok()) return 0;
  const std::string name = "freehold_storaged_fsync_seconds_sum ";
  const size_t at = body->find(name);
  if (at == std::string::npos) return 0;
  return std::strtod(body->c_str() + at + name.size(), nullptr);
}

// Writes one file in `chunk`-sized writes, fsyncs and closes it; returns seconds.
double PlainWriteOne(const std::string& path, const std::string& data, size_t chunk) {
  const absl::Time start = absl::Now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) Fail("open " + path);
  for (size_t off = 0; off < data.size(); off += chunk) {
    const size_t n = std::min(chunk, data.size() - off);
    if (::write(fd, data.data() + off, n) != static_cast<ssize_t>(n)) Fail("write " + path);
  }
  if (::fsync(fd) != 0) Fail("fsync " + path);
  ::close(fd);
  return absl::ToDoubleSeconds(absl::Now() - start);
}

// Reads one file in `chunk`-sized reads; returns seconds.
double PlainReadOne(const std::string& path, size_t chunk, uint64_t expected) {
  std::string buf(chunk, '\0');
  const absl::Time start = absl::Now();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail("open " + path);
  uint64_t bytes = 0;
  ssize_t n;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) bytes += static_cast<uint64_t>(n);
  ::close(fd);
  if (bytes != expected) Fail("plain read returned the wrong byte count");
  return absl::ToDoubleSeconds(absl::Now() - start);
}

// Wall and CPU seconds of one side of the comparison, summed over all shards.
struct Side {
  double seconds = 0;
  double daemon_cpu = 0;
  double client_cpu = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"freehold-bench-storaged: PutShard/GetShard throughput vs a plain local writer"};
  int shard_count = 16;
  int shard_mib = 64;
  int rounds = 2;
  size_t chunk_bytes = 1 << 20;
  size_t message_bytes = 4 << 20;  // storage.proto: data chunks of any size <= 4 MiB
  std::string base_dir;
  bool zero_copy = true;
  std::vector<std::string> daemon_args;
  bool compare_tls = true;
  app.add_option("--compare-tls", compare_tls,
                 "also run a TLS daemon of the same build and report the TLS/plaintext ratios")
      ->capture_default_str();
  app.add_option("--shards", shard_count, "shards per round")->capture_default_str();
  app.add_option("--shard-mib", shard_mib, "shard size in MiB")->capture_default_str();
  app.add_option("--rounds", rounds, "rounds over all shards (figures are totals)")
      ->capture_default_str();
  app.add_option("--chunk-bytes", chunk_bytes, "plain writer's write / plain reader's read size")
      ->capture_default_str();
  app.add_option("--message-bytes", message_bytes, "data bytes per PutShard message")
      ->capture_default_str();
  app.add_option("--zero-copy", zero_copy,
                 "send PutShard chunks as ready-made messages pointing into the shard (false: "
                 "copy each chunk into a PutShardRequest and serialize it)")
      ->capture_default_str();
  app.add_option("--daemon-arg", daemon_args,
                 "extra freehold-storaged argument (repeat; e.g. --daemon-arg=--direct-io=false)");
  app.add_option("--dir", base_dir, "directory on the disk to measure (default: $TMPDIR or /tmp)");
  CLI11_PARSE(app, argc, argv);
  // Like the daemon: reuse heap memory for MiB-sized messages instead of mmap per message.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (!base_dir.empty()) setenv("TMPDIR", base_dir.c_str(), 1);

  freehold::testing::TempDir dir("freehold-bench-storaged-");
  const std::string plain_dir = dir.File("plain");
  std::filesystem::create_directories(plain_dir);

  // Shards with distinct bytes (and hashes), computed before any timing.
  const size_t shard_bytes = static_cast<size_t>(shard_mib) << 20;
  const std::string base = PatternBytes(shard_bytes, 42);
  std::vector<std::string> shards(shard_count, base);
  std::vector<std::string> keys;
  for (int i = 0; i < shard_count; ++i) {
    const std::string tag = absl::StrCat("shard-", i, "-");
    shards[i].replace(0, tag.size(), tag);
    keys.push_back(ShardKey(i + 1));
  }
  const uint64_t total = static_cast<uint64_t>(shard_bytes) * shard_count;

  TokenSigner coordinator(NewKey("bench-coordinator"));
  const std::string keys_file =
      dir.WriteFile("coordinator.pub", FormatPublicKeyFile({coordinator.public_key()}), 0644);
  DaemonOptions options;
  options.data_dir = dir.File("data");
  options.keys_file = keys_file;
  options.extra_args = {"--log-level", "warn", "--scrub-interval", "24h"};
  options.extra_args.insert(options.extra_args.end(), daemon_args.begin(), daemon_args.end());
  absl::StatusOr<std::unique_ptr<StoragedDaemon>> daemon = StoragedDaemon::Start(options);
  if (!daemon.ok()) Fail(daemon.status().ToString());
  // The TLS twin: same build and flags, its own data dir, certificates of a private CA;
  // the bench presents a coordinator certificate (as the coordinator's repair does).
  std::unique_ptr<freehold::testing::TestPki> pki;
  std::unique_ptr<StoragedDaemon> tls_daemon;
  std::unique_ptr<freehold::bench::SocketBound> bound;  // with TLS: OpenSSL over a socket
  if (compare_tls) {
    if (!freehold::testing::TestPki::Available()) Fail("--compare-tls needs the openssl command");
    pki = std::make_unique<freehold::testing::TestPki>();
    const TlsConfig server = pki->Issue("storaged", kRoleStoraged, "bench-node");
    DaemonOptions tls_options = options;
    tls_options.data_dir = dir.File("data-tls");
    tls_options.extra_args.insert(tls_options.extra_args.end(),
                                  {"--tls-cert", server.cert_file, "--tls-key", server.key_file,
                                   "--tls-ca", server.ca_file});
    tls_options.client_tls = pki->Issue("coordinator", kRoleCoordinator, "bench").Client();
    absl::StatusOr<std::unique_ptr<StoragedDaemon>> started = StoragedDaemon::Start(tls_options);
    if (!started.ok()) Fail("TLS daemon: " + started.status().ToString());
    tls_daemon = *std::move(started);
    absl::StatusOr<std::unique_ptr<freehold::bench::SocketBound>> opened =
        freehold::bench::SocketBound::Open(server, pki->Issue("bench-client", kRoleCoordinator,
                                                              "bench-socket"));
    if (!opened.ok()) Fail("socket bound: " + opened.status().ToString());
    bound = *std::move(opened);
  }
  struct Tokens {
    std::vector<std::string> put, get, del;
  };
  auto make_tokens = [&](const std::string& node_id) {
    Tokens t;
    for (int i = 0; i < shard_count; ++i) {
      auto grant = [&](GrantOperation op) {
        return SignGrant(coordinator, MakeGrant(op, node_id, keys[i], shards[i],
                                                absl::Now() + absl::Hours(1)));
      };
      t.put.push_back(grant(GrantOperation::kPut));
      t.get.push_back(grant(GrantOperation::kGet));
      t.del.push_back(grant(GrantOperation::kDelete));
    }
    return t;
  };
  const Tokens plain_tokens = make_tokens((*daemon)->node_id());
  const Tokens tls_tokens = tls_daemon ? make_tokens(tls_daemon->node_id()) : Tokens{};
  const std::vector<std::string>& put_tokens = plain_tokens.put;
  const std::vector<std::string>& get_tokens = plain_tokens.get;
  const std::vector<std::string>& delete_tokens = plain_tokens.del;

  // Each shard is written by the plain writer and then put through the daemon (and
  // later read back both ways), alternating, so both sides see the same background
  // load; the figures are totals over all shards and rounds.
  const pid_t pid = (*daemon)->process().pid();
  const pid_t tls_pid = tls_daemon ? tls_daemon->process().pid() : 0;
  Side plain_write, put, plain_read, get, tls_put, tls_get;
  const double fsync_before = FsyncSecondsSum(**daemon);
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < shard_count; ++i) {
      plain_write.seconds +=
          PlainWriteOne(absl::StrCat(plain_dir, "/plain-", i), shards[i], chunk_bytes);
      const double daemon_cpu = ProcessCpuSeconds(pid);
      const double client_cpu = SelfCpuSeconds();
      const absl::Time start = absl::Now();
      PutResult result =
          zero_copy
              ? PutShardZeroCopy((*daemon)->channel(), put_tokens[i], shards[i], message_bytes)
              : PutShard((*daemon)->stub(), put_tokens[i], shards[i], message_bytes);
      put.seconds += absl::ToDoubleSeconds(absl::Now() - start);
      put.daemon_cpu += ProcessCpuSeconds(pid) - daemon_cpu;
      put.client_cpu += SelfCpuSeconds() - client_cpu;
      if (!result.status.ok()) Fail("PutShard: " + result.status.error_message());
      if (result.response.already_present()) Fail("PutShard: unexpectedly already present");
      if (tls_daemon) {
        const double tls_daemon_cpu = ProcessCpuSeconds(tls_pid);
        const double tls_client_cpu = SelfCpuSeconds();
        const absl::Time tls_start = absl::Now();
        PutResult r = zero_copy ? PutShardZeroCopy(tls_daemon->channel(), tls_tokens.put[i],
                                                   shards[i], message_bytes)
                                : PutShard(tls_daemon->stub(), tls_tokens.put[i], shards[i],
                                           message_bytes);
        tls_put.seconds += absl::ToDoubleSeconds(absl::Now() - tls_start);
        tls_put.daemon_cpu += ProcessCpuSeconds(tls_pid) - tls_daemon_cpu;
        tls_put.client_cpu += SelfCpuSeconds() - tls_client_cpu;
        if (!r.status.ok()) Fail("TLS PutShard: " + r.status.error_message());
        // The bound, in the same loop: the shard over a plain and a TLS socket.
        if (absl::Status s = bound->SendPlain(shards[i]); !s.ok()) Fail(s.ToString());
        if (absl::Status s = bound->SendTls(shards[i]); !s.ok()) Fail(s.ToString());
        if (absl::Status s = bound->SealOpen(shards[i]); !s.ok()) Fail(s.ToString());
      }
    }
    EvictTree(plain_dir);
    EvictTree(options.data_dir + "/shards");
    if (tls_daemon) EvictTree(dir.File("data-tls") + "/shards");
    for (int i = 0; i < shard_count; ++i) {
      plain_read.seconds +=
          PlainReadOne(absl::StrCat(plain_dir, "/plain-", i), chunk_bytes, shard_bytes);
      const double daemon_cpu = ProcessCpuSeconds(pid);
      const double client_cpu = SelfCpuSeconds();
      const absl::Time start = absl::Now();
      GetResult got = GetShard((*daemon)->stub(), get_tokens[i], 0, 0, /*keep_data=*/false);
      get.seconds += absl::ToDoubleSeconds(absl::Now() - start);
      get.daemon_cpu += ProcessCpuSeconds(pid) - daemon_cpu;
      get.client_cpu += SelfCpuSeconds() - client_cpu;
      if (!got.status.ok()) Fail("GetShard: " + got.status.error_message());
      if (got.bytes != shard_bytes) Fail("GetShard: wrong size");
      if (tls_daemon) {
        const double tls_daemon_cpu = ProcessCpuSeconds(tls_pid);
        const double tls_client_cpu = SelfCpuSeconds();
        const absl::Time tls_start = absl::Now();
        GetResult g = GetShard(tls_daemon->stub(), tls_tokens.get[i], 0, 0, /*keep_data=*/false);
        tls_get.seconds += absl::ToDoubleSeconds(absl::Now() - tls_start);
        tls_get.daemon_cpu += ProcessCpuSeconds(tls_pid) - tls_daemon_cpu;
        tls_get.client_cpu += SelfCpuSeconds() - tls_client_cpu;
        if (!g.status.ok() || g.bytes != shard_bytes) Fail("TLS GetShard failed");
      }
    }
    for (int i = 0; i < shard_count; ++i) {
      grpc::ClientContext context;
      v1::DeleteShardRequest request;
      request.mutable_grant()->set_token(delete_tokens[i]);
      v1::DeleteShardResponse response;
      if (!(*daemon)->stub().DeleteShard(&context, request, &response).ok()) Fail("DeleteShard");
      if (tls_daemon) {
        grpc::ClientContext tls_context;
        request.mutable_grant()->set_token(tls_tokens.del[i]);
        if (!tls_daemon->stub().DeleteShard(&tls_context, request, &response).ok()) {
          Fail("TLS DeleteShard");
        }
      }
    }
    std::filesystem::remove_all(plain_dir);
    std::filesystem::create_directories(plain_dir);
  }
  const double daemon_fsync = FsyncSecondsSum(**daemon) - fsync_before;
  fprintf(stderr, "%s", (*daemon)->process().ReadStderr().c_str());
  (void)(*daemon)->Stop();
  if (tls_daemon) (void)tls_daemon->Stop();

  const double mb = static_cast<double>(total) * rounds / 1e6;
  const double gb = mb / 1000;
  std::printf(
      "config: %d shards x %d MiB, %d rounds, plain write/read size %zu bytes, PutShard message "
      "%zu bytes (%s client), dir %s\n",
      shard_count, shard_mib, rounds, chunk_bytes, message_bytes,
      zero_copy ? "zero-copy" : "copying", dir.path().c_str());
  std::printf("figure: storaged_put_mb_per_s %.1f\n", mb / put.seconds);
  std::printf("figure: plain_write_mb_per_s %.1f\n", mb / plain_write.seconds);
  std::printf("figure: put_ratio %.3f\n", plain_write.seconds / put.seconds);
  std::printf("figure: storaged_get_mb_per_s %.1f\n", mb / get.seconds);
  std::printf("figure: plain_read_mb_per_s %.1f\n", mb / plain_read.seconds);
  std::printf("figure: get_ratio %.3f\n", plain_read.seconds / get.seconds);
  // CPU per GB moved (the daemon, and this process as the gRPC client), and fsync time.
  if (tls_daemon) {
    std::printf("figure: storaged_put_tls_mb_per_s %.1f\n", mb / tls_put.seconds);
    std::printf("figure: tls_put_ratio %.3f\n", put.seconds / tls_put.seconds);
    std::printf("figure: storaged_get_tls_mb_per_s %.1f\n", mb / tls_get.seconds);
    std::printf("figure: tls_get_ratio %.3f\n", get.seconds / tls_get.seconds);
  }
  std::printf("figure: storaged_put_daemon_cpu_s_per_gb %.3f\n", put.daemon_cpu / gb);
  std::printf("figure: storaged_get_daemon_cpu_s_per_gb %.3f\n", get.daemon_cpu / gb);
  std::printf("figure: bench_client_put_cpu_s_per_gb %.3f\n", put.client_cpu / gb);
  std::printf("figure: bench_client_get_cpu_s_per_gb %.3f\n", get.client_cpu / gb);
  std::printf("figure: storaged_fsync_s_per_gb %.3f\n", daemon_fsync / gb);
  if (tls_daemon) {
    std::printf("figure: storaged_put_tls_daemon_cpu_s_per_gb %.3f\n", tls_put.daemon_cpu / gb);
    std::printf("figure: storaged_get_tls_daemon_cpu_s_per_gb %.3f\n", tls_get.daemon_cpu / gb);
    std::printf("figure: bench_client_put_tls_cpu_s_per_gb %.3f\n", tls_put.client_cpu / gb);
    std::printf("figure: bench_client_get_tls_cpu_s_per_gb %.3f\n", tls_get.client_cpu / gb);
    // The bound. Both put paths are CPU-bound on a small machine (put_cpu_ratio, the
    // plaintext put's CPU seconds per GB over the TLS put's, stands beside
    // tls_put_ratio): their throughputs go as their CPU seconds per GB. No TLS can
    // spend less than sealing and opening every record with the negotiated AEAD
    // (aead_seal_open_cpu_s_per_gb); added to the plaintext put's CPU, that gives the
    // best TLS/plaintext ratio this machine can reach (tls_put_bound_ratio), and
    // tls_put_ratio_to_bound says how close we come. OpenSSL's whole record layer
    // over a socket against a plain socket (socket_*) shows what a TLS library adds.
    const freehold::bench::SocketTransfer& sp = bound->plain();
    const freehold::bench::SocketTransfer& st = bound->tls();
    const double socket_gb = static_cast<double>(sp.bytes) / 1e9;
    const double aead = bound->aead().cpu_seconds / (static_cast<double>(bound->aead().bytes) / 1e9);
    std::printf("socket bound: %s, records of 16284 bytes, one connection each way\n",
                bound->cipher().c_str());
    std::printf("figure: socket_plain_mb_per_s %.1f\n", socket_gb * 1e3 / sp.seconds);
    std::printf("figure: socket_tls_mb_per_s %.1f\n", socket_gb * 1e3 / st.seconds);
    std::printf("figure: socket_tls_ratio %.3f\n", sp.seconds / st.seconds);
    std::printf("figure: socket_tls_extra_cpu_s_per_gb %.3f\n",
                (st.cpu_seconds - sp.cpu_seconds) / socket_gb);
    std::printf("figure: aead_seal_open_cpu_s_per_gb %.3f\n", aead);
    auto bound_figures = [&](const char* name, const Side& plain, const Side& tls,
                             double measured) {
      const double cpu = (plain.daemon_cpu + plain.client_cpu) / gb;
      const double tls_cpu = (tls.daemon_cpu + tls.client_cpu) / gb;
      const double best = cpu / (cpu + aead);
      std::printf("figure: %s_cpu_s_per_gb %.3f\n", name, cpu);
      std::printf("figure: %s_tls_cpu_s_per_gb %.3f\n", name, tls_cpu);
      std::printf("figure: %s_cpu_ratio %.3f\n", name, cpu / tls_cpu);
      std::printf("figure: tls_%s_bound_ratio %.3f\n", name, best);
      std::printf("figure: tls_%s_ratio_to_bound %.3f\n", name, measured / best);
    };
    bound_figures("put", put, tls_put, put.seconds / tls_put.seconds);
    bound_figures("get", get, tls_get, get.seconds / tls_get.seconds);
  }
  return 0;
}
