// HMAC-SHA256 and HKDF-SHA256 (RFC 5869) on libsodium's crypto_auth_hmacsha256
// (libsodium 1.0.18 has no HKDF). Output keys are SecretBytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "client/core/secret_bytes.h"

namespace freehold::client::internal {

std::array<uint8_t, 32> HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);
// HKDF-SHA256 with `length` <= 255*32 bytes of output.
SecretBytes HkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                       std::string_view info, size_t length);

}  // namespace freehold::client::internal
