// Constant-time comparison, zeroing and randomness via libsodium.
#include "common/secure_compare.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace freehold {
namespace {

void EnsureSodium() {
  static const bool ok = [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "fatal: sodium_init failed\n");
      std::abort();
    }
    return true;
  }();
  (void)ok;
}

}  // namespace

bool SecureEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void SecureZero(void* data, size_t size) {
  if (size > 0) sodium_memzero(data, size);
}

void SecureZero(std::string& s) {
  s.resize(s.capacity());
  SecureZero(s.data(), s.size());
  s.clear();
}

std::string RandomBytes(size_t size) {
  EnsureSodium();
  std::string out(size, '\0');
  if (size > 0) randombytes_buf(out.data(), size);
  return out;
}

}  // namespace freehold
