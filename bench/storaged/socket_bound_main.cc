// freehold-bench-tls-socket: the bound of bench/storaged/socket_bound.h on its own, for
// benchmarks that are not the storaged bench (bench/e2e/tls_price.sh runs it between
// its puts): MIB MiB over a plaintext and a mutual-TLS loopback socket, alternating
// in 64 MiB pieces. Prints "figure:" lines: throughput of each, their ratio, and the
// CPU seconds per GB each costs (sender + receiver) and their difference, what
// OpenSSL's TLS adds to moving a GB on this machine; and the CPU seconds per GB of
// sealing and opening the same records with the suite's AEAD alone, the least any TLS
// adds.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "bench/storaged/socket_bound.h"
#include "common/peer_identity.h"
#include "tests/support/test_pki.h"

int main(int argc, char** argv) {
  CLI::App app{"freehold-bench-tls-socket: OpenSSL TLS against plaintext over loopback"};
  int mib = 512;
  app.add_option("--mib", mib, "MiB sent each way")->capture_default_str()->check(CLI::Range(64, 1 << 16));
  CLI11_PARSE(app, argc, argv);
  if (!freehold::testing::TestPki::Available()) {
    std::fprintf(stderr, "freehold-bench-tls-socket: needs the openssl command\n");
    return 1;
  }
  freehold::testing::TestPki pki;
  auto bound = freehold::bench::SocketBound::Open(
      pki.Issue("storaged", freehold::kRoleStoraged, "socket-node"),
      pki.Issue("client", freehold::kRoleCoordinator, "socket-client"));
  if (!bound.ok()) {
    std::fprintf(stderr, "freehold-bench-tls-socket: %s\n", bound.status().ToString().c_str());
    return 1;
  }
  std::string piece(64 << 20, '\0');
  for (size_t i = 0; i < piece.size(); ++i) piece[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (int sent = 0; sent < mib; sent += 64) {
    for (auto send : {&freehold::bench::SocketBound::SendPlain,
                      &freehold::bench::SocketBound::SendTls}) {
      if (absl::Status s = ((**bound).*send)(piece); !s.ok()) {
        std::fprintf(stderr, "freehold-bench-tls-socket: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    if (absl::Status s = (*bound)->SealOpen(piece); !s.ok()) {
      std::fprintf(stderr, "freehold-bench-tls-socket: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const freehold::bench::SocketTransfer& p = (*bound)->plain();
  const freehold::bench::SocketTransfer& t = (*bound)->tls();
  const double gb = static_cast<double>(p.bytes) / 1e9;
  std::printf("socket bound: %s, records of 16284 bytes, one connection each way, %d MiB\n",
              (*bound)->cipher().c_str(), mib);
  std::printf("figure: socket_plain_mb_per_s %.1f\n", gb * 1e3 / p.seconds);
  std::printf("figure: socket_tls_mb_per_s %.1f\n", gb * 1e3 / t.seconds);
  std::printf("figure: socket_tls_ratio %.3f\n", p.seconds / t.seconds);
  std::printf("figure: socket_plain_cpu_s_per_gb %.3f\n", p.cpu_seconds / gb);
  std::printf("figure: socket_tls_cpu_s_per_gb %.3f\n", t.cpu_seconds / gb);
  std::printf("figure: socket_tls_extra_cpu_s_per_gb %.3f\n", (t.cpu_seconds - p.cpu_seconds) / gb);
  std::printf("figure: aead_seal_open_cpu_s_per_gb %.3f\n", (*bound)->aead().cpu_seconds / gb);
  return 0;
}
