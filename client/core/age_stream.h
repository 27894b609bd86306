// age v1 payload: a 16-byte nonce followed by ChaCha20-Poly1305 STREAM chunks
// of 64 KiB plaintext (+16-byte tag), the last one flagged final. Key =
// HKDF-SHA256(ikm = file key, salt = nonce, info = "payload").
//
// Contracts:
//  - StreamEncryptor / StreamDecryptor are ByteSinks: push bytes with Write,
//    finish with Close (which does NOT close the downstream sink). Memory is
//    bounded (one chunk buffered) whatever the payload size.
//  - StreamDecryptor releases plaintext to its sink only per authenticated
//    chunk, exactly as the reference implementation does. Errors are sticky:
//      INVALID_ARGUMENT  missing or short 16-byte nonce;
//      DATA_LOSS         chunk fails authentication, truncated payload (no
//                        final chunk), empty final chunk after the first,
//                        trailing data after the final chunk.
//  - DecryptPayloadRange decrypts any plaintext byte range by reading and
//    authenticating only the chunks that cover it. The payload size must be
//    the true one (a wrong size makes the final-chunk flag check fail).
//  - Nothing here is thread-safe; StreamCipher is cheap to create per thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/core/byte_io.h"
#include "client/core/secret_bytes.h"
#include "common/bulk/aead.h"

namespace freehold::client {

inline constexpr size_t kStreamChunkBytes = 64 * 1024;
inline constexpr size_t kStreamTagBytes = 16;
inline constexpr size_t kStreamSealedChunkBytes = kStreamChunkBytes + kStreamTagBytes;
inline constexpr size_t kPayloadNonceBytes = 16;
using PayloadNonce = std::array<uint8_t, kPayloadNonceBytes>;

// Payload size (nonce + sealed chunks) for a plaintext size.
uint64_t PayloadSizeForPlaintext(uint64_t plaintext_size);
// Inverse; INVALID_ARGUMENT if no plaintext size gives this payload size.
absl::StatusOr<uint64_t> PlaintextSizeForPayload(uint64_t payload_size);
// Number of chunks of a plaintext (at least 1).
inline uint64_t ChunkCount(uint64_t plaintext_size) {
  return plaintext_size == 0 ? 1 : (plaintext_size + kStreamChunkBytes - 1) / kStreamChunkBytes;
}

// Seals/opens individual chunks by index: the primitive under the streaming
// classes, usable in parallel (one StreamCipher per thread).
class StreamCipher {
 public:
  static absl::StatusOr<StreamCipher> Create(const SecretBytes& file_key,
                                             std::span<const uint8_t> nonce,
                                             bulk::Backend backend = bulk::kDefaultBackend);
  // out.size() == plaintext.size() + 16; plaintext <= 64 KiB.
  absl::Status SealChunk(uint64_t index, bool last, std::span<const uint8_t> plaintext,
                         std::span<uint8_t> out);
  // DATA_LOSS if the chunk does not authenticate with this index and flag.
  absl::Status OpenChunk(uint64_t index, bool last, std::span<const uint8_t> sealed,
                         std::span<uint8_t> out);

 private:
  explicit StreamCipher(std::unique_ptr<bulk::ChaCha20Poly1305> aead) : aead_(std::move(aead)) {}
  std::unique_ptr<bulk::ChaCha20Poly1305> aead_;
};

class StreamEncryptor final : public ByteSink {
 public:
  // Writes the nonce (random unless given, for tests) to `out` immediately.
  static absl::StatusOr<std::unique_ptr<StreamEncryptor>> Create(
      const SecretBytes& file_key, ByteSink& out, bulk::Backend backend = bulk::kDefaultBackend,
      std::optional<PayloadNonce> nonce = std::nullopt);
  ~StreamEncryptor() override;  // zeroes buffered plaintext
  absl::Status Write(std::span<const uint8_t> data) override;
  // Seals the final chunk. FAILED_PRECONDITION on Write/Close after Close.
  absl::Status Close() override;
  uint64_t plaintext_bytes() const { return plaintext_bytes_; }

 private:
  StreamEncryptor(StreamCipher cipher, ByteSink& out);
  absl::Status Emit(std::span<const uint8_t> plaintext, bool last);

  StreamCipher cipher_;
  ByteSink& out_;
  std::vector<uint8_t> buf_;  // pending plaintext, < one chunk (or exactly one)
  size_t buf_len_ = 0;
  std::vector<uint8_t> sealed_;
  uint64_t index_ = 0;
  uint64_t plaintext_bytes_ = 0;
  bool closed_ = false;
};

class StreamDecryptor final : public ByteSink {
 public:
  static absl::StatusOr<std::unique_ptr<StreamDecryptor>> Create(
      const SecretBytes& file_key, ByteSink& out, bulk::Backend backend = bulk::kDefaultBackend);
  ~StreamDecryptor() override;  // zeroes the plaintext buffer
  // Takes payload bytes (nonce first). Releases authenticated plaintext.
  absl::Status Write(std::span<const uint8_t> data) override;
  // Checks the payload ended properly (final chunk seen, nothing after it).
  absl::Status Close() override;
  uint64_t plaintext_bytes() const { return plaintext_bytes_; }

 private:
  StreamDecryptor(SecretBytes file_key, ByteSink& out, bulk::Backend backend);
  absl::Status Fail(absl::Status s);
  absl::Status Process(std::span<const uint8_t> sealed, bool more_follows);

  SecretBytes file_key_;
  ByteSink& out_;
  bulk::Backend backend_;
  std::optional<StreamCipher> cipher_;
  PayloadNonce nonce_{};
  size_t nonce_len_ = 0;
  std::vector<uint8_t> buf_;
  size_t buf_len_ = 0;
  std::vector<uint8_t> plain_;
  uint64_t index_ = 0;
  uint64_t plaintext_bytes_ = 0;
  bool final_seen_ = false;
  bool closed_ = false;
  absl::Status status_;
};

// Writes plaintext bytes [offset, offset + length) of the payload to `out`.
// OUT_OF_RANGE if the range passes the end of the plaintext; INVALID_ARGUMENT
// if payload.size() is not a possible payload size; DATA_LOSS if a covering
// chunk fails authentication (nothing from that chunk is written).
absl::Status DecryptPayloadRange(const SecretBytes& file_key, RandomAccessSource& payload,
                                 uint64_t offset, uint64_t length, ByteSink& out,
                                 bulk::Backend backend = bulk::kDefaultBackend);

}  // namespace freehold::client
