#include "client/core/key_fingerprint.h"

#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace freehold::client {
namespace {

std::string Compact(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '-' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

std::string KeyFingerprint(const X25519PublicKey& key) {
  if (sodium_init() < 0) std::abort();
  static constexpr char kDomain[] = "freehold-key-fingerprint-v1";
  std::array<uint8_t, sizeof(kDomain) + kX25519KeyBytes> in{};
  std::copy(kDomain, kDomain + sizeof(kDomain), in.begin());  // with the NUL separator
  std::copy(key.bytes.begin(), key.bytes.end(), in.begin() + sizeof(kDomain));
  std::array<uint8_t, 64> digest{};
  crypto_generichash(digest.data(), digest.size(), in.data(), in.size(), nullptr, 0);
  std::string out;
  for (int g = 0; g < 12; ++g) {
    uint64_t v = 0;
    for (int i = 0; i < 5; ++i) v = (v << 8) | digest[5 * g + i];
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%05llu", static_cast<unsigned long long>(v % 100000));
    if (g > 0) out.push_back(' ');
    out += buf;
  }
  return out;
}

bool FingerprintMatches(std::string_view typed, std::string_view fingerprint) {
  const std::string a = Compact(typed), b = Compact(fingerprint);
  return !a.empty() && a == b;
}

}  // namespace freehold::client
