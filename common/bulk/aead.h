// ChaCha20-Poly1305 (IETF, RFC 8439: 32-byte key, 12-byte nonce, 16-byte tag)
// as used by age's STREAM payload encryption.
//
// Contract: an instance holds one key (zeroed on destruction) and is not
// thread-safe; use one per thread. Seal/Open may run in place (out.data() ==
// in.data()). Open writes plaintext only after the tag verified; on failure
// `out` is zeroed and DATA_LOSS is returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bulk/backend.h"

namespace freehold::bulk {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;

class ChaCha20Poly1305 {
 public:
  // INVALID_ARGUMENT if key is not 32 bytes; INTERNAL if the backend fails to
  // initialise.
  static absl::StatusOr<std::unique_ptr<ChaCha20Poly1305>> Create(
      std::span<const uint8_t> key, Backend backend = kDefaultBackend);
  virtual ~ChaCha20Poly1305() = default;

  // out.size() must equal plaintext.size() + kAeadTagBytes (ciphertext||tag).
  // INVALID_ARGUMENT on wrong sizes.
  virtual absl::Status Seal(std::span<const uint8_t> nonce, std::span<const uint8_t> aad,
                            std::span<const uint8_t> plaintext, std::span<uint8_t> out) = 0;
  // ciphertext includes the tag; out.size() must equal ciphertext.size() - 16.
  // DATA_LOSS if authentication fails, INVALID_ARGUMENT on wrong sizes.
  virtual absl::Status Open(std::span<const uint8_t> nonce, std::span<const uint8_t> aad,
                            std::span<const uint8_t> ciphertext, std::span<uint8_t> out) = 0;
  virtual Backend backend() const = 0;
};

}  // namespace freehold::bulk
