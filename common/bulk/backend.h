// Which library implements a bulk primitive (ChaCha20-Poly1305, SHA-256).
// Both backends produce identical bytes (tests/client_core/bulk_crypto_test.cc
// proves it); OpenSSL libcrypto is the default because it is faster on CPUs
// with AVX-512 and SHA extensions.
#pragma once

#include <string_view>

namespace freehold::bulk {

enum class Backend {
  kOpenSsl,  // OpenSSL 3 libcrypto (default).
  kSodium,   // libsodium.
};

inline constexpr Backend kDefaultBackend = Backend::kOpenSsl;

inline std::string_view BackendName(Backend backend) {
  return backend == Backend::kOpenSsl ? "openssl" : "libsodium";
}

}  // namespace freehold::bulk
