#include "client/core/internal/hkdf.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace freehold::client::internal {

std::array<uint8_t, 32> HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, data.data(), data.size());
  std::array<uint8_t, 32> out;
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

SecretBytes HkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                       std::string_view info, size_t length) {
  if (length > 255 * 32) std::abort();  // Programming error.
  uint8_t zero_salt[32] = {0};
  if (salt.empty()) salt = std::span<const uint8_t>(zero_salt, 32);
  std::array<uint8_t, 32> prk = HmacSha256(salt, ikm);
  SecretBytes out(length);
  uint8_t t[32];
  size_t t_len = 0;
  for (size_t done = 0, i = 1; done < length; ++i) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, prk.data(), prk.size());
    crypto_auth_hmacsha256_update(&st, t, t_len);
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const uint8_t*>(info.data()), info.size());
    uint8_t counter = static_cast<uint8_t>(i);
    crypto_auth_hmacsha256_update(&st, &counter, 1);
    crypto_auth_hmacsha256_final(&st, t);
    sodium_memzero(&st, sizeof st);
    t_len = 32;
    size_t n = std::min<size_t>(32, length - done);
    std::memcpy(out.data() + done, t, n);
    done += n;
  }
  sodium_memzero(t, sizeof t);
  sodium_memzero(prk.data(), prk.size());
  return out;
}

}  // namespace freehold::client::internal
