// freehold-bench-kdf: what the Argon2id default costs the CLI. Every command that
// derives keys from the password (signup, login, passwd, recover, and each command that
// decrypts without `login --remember`) runs one DeriveKeys with the account's
// parameters. Times DeriveKeys at libsodium's INTERACTIVE limits (ops 2, 64 MiB: the
// previous default, the reference) and MODERATE (ops 3, 256 MiB: the default now), in
// the same run, and prints `figure:` lines with the ratio. Not a test.
//
//   build/bin/freehold-bench-kdf [RUNS]     (default 5 runs each; the median is reported)
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "client/core/account_keys.h"

namespace {

double MedianSeconds(const freehold::client::PwhashParams& p, int runs) {
  const auto salt = freehold::client::GeneratePasswordSalt();
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto keys = freehold::client::DeriveKeys("bench walnut-Orbit-57 lantern", salt, p);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!keys.ok()) {
      std::fprintf(stderr, "DeriveKeys failed: %s\n", std::string(keys.status().message()).c_str());
      std::exit(1);
    }
    t.push_back(s);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  using freehold::client::PwhashParams;
  // Interleave-free but same process, same machine state: reference first, then new.
  const double interactive = MedianSeconds(PwhashParams::Interactive(), runs);
  const double moderate = MedianSeconds(PwhashParams::Moderate(), runs);
  std::printf("figure: argon2id_interactive_ops2_64MiB_ms %.1f\n", interactive * 1e3);
  std::printf("figure: argon2id_moderate_ops3_256MiB_ms %.1f\n", moderate * 1e3);
  std::printf("figure: argon2id_moderate_vs_interactive_ratio %.2f\n", moderate / interactive);
  return 0;
}
