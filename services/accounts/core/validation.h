// Input rules of the accounts service. Every failure is INVALID_ARGUMENT and the message
// starts with the field name ("handle: ...", "kdf.mem_limit_bytes: ...").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

inline constexpr size_t kHandleMinLength = 3;
inline constexpr size_t kHandleMaxLength = 32;
inline constexpr size_t kSaltBytes = 16;  // crypto_pwhash_SALTBYTES
inline constexpr size_t kAuthKeyBytes = 32;
inline constexpr size_t kMaxWrappedIdentityBytes = 512;
inline constexpr size_t kMaxContactBytes = 256;
inline constexpr size_t kMaxDeviceNameBytes = 64;

// Case-folds (ASCII only) and checks the handle rules: 3..32 characters from
// [a-z0-9_.-] after folding. Non-ASCII input is rejected rather than folded, so
// look-alike characters (e.g. KELVIN SIGN) can never alias an ASCII handle.
absl::StatusOr<std::string> NormalizeHandle(std::string_view handle,
                                            std::string_view field = "handle");

// Argon2id parameter bounds the server accepts from clients.
struct KdfBounds {
  uint64_t min_ops = 2;
  uint64_t max_ops = 16;
  uint64_t min_mem_bytes = 19ull << 20;  // 19 MiB: OWASP's Argon2id floor (m=19 MiB, t=2)
  uint64_t max_mem_bytes = 1ull << 30;   // 1 GiB: libsodium's SENSITIVE level

  // Production bounds (the defaults above).
  static KdfBounds Production() { return {}; }
  // For tests and development only: anything libsodium accepts (ops >= 1, mem >= 8 KiB).
  static KdfBounds Weak() { return {1, 16, 8192, 1ull << 30}; }
};

// ops/mem within `bounds` and algorithm == "argon2id13". `field` prefixes messages.
absl::Status ValidateKdf(const KdfParams& kdf, const KdfBounds& bounds,
                         std::string_view field = "kdf");

// Exact-size byte fields (salt, auth key, challenge).
absl::Status ValidateFixedBytes(std::string_view value, size_t size, std::string_view field);

// 1..kMaxWrappedIdentityBytes bytes.
absl::Status ValidateWrappedIdentity(std::string_view value, std::string_view field);

// At most kMaxContactBytes of valid UTF-8 without control characters; may be empty.
absl::Status ValidateContact(std::string_view value);

// At most kMaxDeviceNameBytes of valid UTF-8 without control characters; may be empty.
absl::Status ValidateDeviceName(std::string_view value);

// A well-formed age X25519 recipient ("age1" + bech32 of 32 bytes, lower case). Returns
// the 32-byte X25519 public key.
absl::StatusOr<std::array<uint8_t, 32>> ParseAgeRecipient(std::string_view recipient,
                                                          std::string_view field = "public_key");
std::string FormatAgeRecipient(const std::array<uint8_t, 32>& key);

// Canonical lower-case 8-4-4-4-12 UUID text; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateUuid(std::string_view value, std::string_view field);
// A random (version 4) UUID in canonical form.
std::string NewUuid();

// 16 bytes as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower-case hex).
std::string FormatUuid(std::string_view bytes);
// A version 7 UUID (RFC 9562): 48-bit Unix milliseconds of `now`, then 74 random bits.
// For ids that are not secrets and are inserted into a B-tree index (session ids): new
// keys land at the index's right edge instead of on random pages.
std::string NewTimeOrderedUuid(absl::Time now);

}  // namespace freehold::accounts
