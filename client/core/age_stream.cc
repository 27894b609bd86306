#include "client/core/age_stream.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/core/internal/hkdf.h"

namespace freehold::client {
namespace {

std::array<uint8_t, bulk::kAeadNonceBytes> ChunkNonce(uint64_t index, bool last) {
  std::array<uint8_t, bulk::kAeadNonceBytes> n{};
  for (int i = 0; i < 8; ++i) n[10 - i] = static_cast<uint8_t>(index >> (8 * i));
  n[11] = last ? 1 : 0;
  return n;
}

}  // namespace

uint64_t PayloadSizeForPlaintext(uint64_t plaintext_size) {
  return kPayloadNonceBytes + plaintext_size + ChunkCount(plaintext_size) * kStreamTagBytes;
}

absl::StatusOr<uint64_t> PlaintextSizeForPayload(uint64_t payload_size) {
  if (payload_size < kPayloadNonceBytes + kStreamTagBytes) {
    return absl::InvalidArgumentError("payload size: too small for an age payload");
  }
  uint64_t sealed = payload_size - kPayloadNonceBytes;
  uint64_t chunks = (sealed + kStreamSealedChunkBytes - 1) / kStreamSealedChunkBytes;
  uint64_t last = sealed - (chunks - 1) * kStreamSealedChunkBytes;
  if (last < kStreamTagBytes || (chunks > 1 && last == kStreamTagBytes)) {
    return absl::InvalidArgumentError("payload size: not a possible age payload size");
  }
  return sealed - chunks * kStreamTagBytes;
}

absl::StatusOr<StreamCipher> StreamCipher::Create(const SecretBytes& file_key,
                                                  std::span<const uint8_t> nonce,
                                                  bulk::Backend backend) {
  if (nonce.size() != kPayloadNonceBytes) {
    return absl::InvalidArgumentError("payload nonce must be 16 bytes");
  }
  SecretBytes key = internal::HkdfSha256(file_key.span(), nonce, "payload", 32);
  absl::StatusOr<std::unique_ptr<bulk::ChaCha20Poly1305>> aead =
      bulk::ChaCha20Poly1305::Create(key.span(), backend);
  if (!aead.ok()) return aead.status();
  return StreamCipher(std::move(*aead));
}

absl::Status StreamCipher::SealChunk(uint64_t index, bool last, std::span<const uint8_t> plaintext,
                                     std::span<uint8_t> out) {
  if (plaintext.size() > kStreamChunkBytes) {
    return absl::InvalidArgumentError("STREAM chunk larger than 64 KiB");
  }
  auto nonce = ChunkNonce(index, last);
  return aead_->Seal(nonce, {}, plaintext, out);
}

absl::Status StreamCipher::OpenChunk(uint64_t index, bool last, std::span<const uint8_t> sealed,
                                     std::span<uint8_t> out) {
  if (sealed.size() > kStreamSealedChunkBytes) {
    return absl::InvalidArgumentError("STREAM chunk larger than 64 KiB");
  }
  auto nonce = ChunkNonce(index, last);
  return aead_->Open(nonce, {}, sealed, out);
}

// ---------------------------------------------------------------- encryptor

StreamEncryptor::StreamEncryptor(StreamCipher cipher, ByteSink& out)
    : cipher_(std::move(cipher)),
      out_(out),
      buf_(kStreamChunkBytes),
      sealed_(kStreamSealedChunkBytes) {}

StreamEncryptor::~StreamEncryptor() { sodium_memzero(buf_.data(), buf_.size()); }

absl::StatusOr<std::unique_ptr<StreamEncryptor>> StreamEncryptor::Create(
    const SecretBytes& file_key, ByteSink& out, bulk::Backend backend,
    std::optional<PayloadNonce> nonce) {
  PayloadNonce n;
  if (nonce) {
    n = *nonce;
  } else {
    if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
    randombytes_buf(n.data(), n.size());
  }
  absl::StatusOr<StreamCipher> cipher = StreamCipher::Create(file_key, n, backend);
  if (!cipher.ok()) return cipher.status();
  if (absl::Status s = out.Write(n); !s.ok()) return s;
  return std::unique_ptr<StreamEncryptor>(new StreamEncryptor(std::move(*cipher), out));
}

absl::Status StreamEncryptor::Emit(std::span<const uint8_t> plaintext, bool last) {
  std::span<uint8_t> out(sealed_.data(), plaintext.size() + kStreamTagBytes);
  if (absl::Status s = cipher_.SealChunk(index_, last, plaintext, out); !s.ok()) return s;
  ++index_;
  return out_.Write(out);
}

absl::Status StreamEncryptor::Write(std::span<const uint8_t> data) {
  if (closed_) return absl::FailedPreconditionError("STREAM encryptor already closed");
  plaintext_bytes_ += data.size();
  while (!data.empty()) {
    if (buf_len_ == kStreamChunkBytes) {
      // More data follows, so the buffered full chunk is not the last.
      if (absl::Status s = Emit(std::span<const uint8_t>(buf_.data(), buf_len_), false); !s.ok()) {
        return s;
      }
      buf_len_ = 0;
    }
    if (buf_len_ == 0 && data.size() > kStreamChunkBytes) {
      // Fast path: seal straight from the caller's buffer.
      if (absl::Status s = Emit(data.first(kStreamChunkBytes), false); !s.ok()) return s;
      data = data.subspan(kStreamChunkBytes);
      continue;
    }
    size_t take = std::min(kStreamChunkBytes - buf_len_, data.size());
    std::memcpy(buf_.data() + buf_len_, data.data(), take);
    buf_len_ += take;
    data = data.subspan(take);
  }
  return absl::OkStatus();
}

absl::Status StreamEncryptor::Close() {
  if (closed_) return absl::FailedPreconditionError("STREAM encryptor already closed");
  closed_ = true;
  absl::Status s = Emit(std::span<const uint8_t>(buf_.data(), buf_len_), true);
  sodium_memzero(buf_.data(), buf_.size());
  buf_len_ = 0;
  return s;
}

// ---------------------------------------------------------------- decryptor

StreamDecryptor::StreamDecryptor(SecretBytes file_key, ByteSink& out, bulk::Backend backend)
    : file_key_(std::move(file_key)),
      out_(out),
      backend_(backend),
      buf_(kStreamSealedChunkBytes),
      plain_(kStreamChunkBytes) {}

StreamDecryptor::~StreamDecryptor() { sodium_memzero(plain_.data(), plain_.size()); }

absl::StatusOr<std::unique_ptr<StreamDecryptor>> StreamDecryptor::Create(
    const SecretBytes& file_key, ByteSink& out, bulk::Backend backend) {
  if (file_key.size() != 16) return absl::InvalidArgumentError("file key must be 16 bytes");
  return std::unique_ptr<StreamDecryptor>(new StreamDecryptor(file_key.Clone(), out, backend));
}

absl::Status StreamDecryptor::Fail(absl::Status s) {
  if (status_.ok()) status_ = s;
  return status_;
}

absl::Status StreamDecryptor::Process(std::span<const uint8_t> sealed, bool more_follows) {
  const size_t n = sealed.size();
  if (n < kStreamTagBytes) {
    return Fail(absl::DataLossError(absl::StrCat("age payload: chunk ", index_, " is truncated")));
  }
  if (n == kStreamTagBytes && index_ != 0) {
    return Fail(absl::DataLossError("age payload: final chunk is empty (not allowed)"));
  }
  std::span<uint8_t> out(plain_.data(), n - kStreamTagBytes);
  bool last = n < kStreamSealedChunkBytes;
  absl::Status s = cipher_->OpenChunk(index_, last, sealed, out);
  if (!s.ok() && !last) {
    // A full-size chunk may be the final one.
    last = true;
    s = cipher_->OpenChunk(index_, last, sealed, out);
  }
  if (!s.ok()) {
    return Fail(absl::DataLossError(absl::StrCat("age payload: chunk ", index_,
                                                 " failed authentication (corrupt, "
                                                 "truncated or wrong key)")));
  }
  ++index_;
  if (last) final_seen_ = true;
  plaintext_bytes_ += out.size();
  if (absl::Status w = out_.Write(out); !w.ok()) return Fail(w);
  if (last && more_follows) {
    return Fail(absl::DataLossError("age payload: trailing data after the final chunk"));
  }
  return absl::OkStatus();
}

absl::Status StreamDecryptor::Write(std::span<const uint8_t> data) {
  if (!status_.ok()) return status_;
  if (closed_) return Fail(absl::FailedPreconditionError("STREAM decryptor already closed"));
  if (nonce_len_ < kPayloadNonceBytes) {
    size_t take = std::min(kPayloadNonceBytes - nonce_len_, data.size());
    std::memcpy(nonce_.data() + nonce_len_, data.data(), take);
    nonce_len_ += take;
    data = data.subspan(take);
    if (nonce_len_ < kPayloadNonceBytes) return absl::OkStatus();
    absl::StatusOr<StreamCipher> c = StreamCipher::Create(file_key_, nonce_, backend_);
    if (!c.ok()) return Fail(c.status());
    cipher_.emplace(std::move(*c));
  }
  while (!data.empty()) {
    if (final_seen_) {
      return Fail(absl::DataLossError("age payload: trailing data after the final chunk"));
    }
    if (buf_len_ == kStreamSealedChunkBytes) {
      absl::Status s = Process(std::span<const uint8_t>(buf_.data(), buf_len_), true);
      buf_len_ = 0;
      if (!s.ok()) return s;
      continue;
    }
    if (buf_len_ == 0 && data.size() > kStreamSealedChunkBytes) {
      if (absl::Status s = Process(data.first(kStreamSealedChunkBytes), true); !s.ok()) return s;
      data = data.subspan(kStreamSealedChunkBytes);
      continue;
    }
    size_t take = std::min(kStreamSealedChunkBytes - buf_len_, data.size());
    std::memcpy(buf_.data() + buf_len_, data.data(), take);
    buf_len_ += take;
    data = data.subspan(take);
  }
  return absl::OkStatus();
}

absl::Status StreamDecryptor::Close() {
  if (!status_.ok()) return status_;
  if (closed_) return Fail(absl::FailedPreconditionError("STREAM decryptor already closed"));
  closed_ = true;
  if (nonce_len_ < kPayloadNonceBytes) {
    return Fail(absl::InvalidArgumentError("age payload: missing or short 16-byte nonce"));
  }
  if (final_seen_) return absl::OkStatus();
  if (buf_len_ == 0) {
    return Fail(absl::DataLossError("age payload: truncated (no final chunk)"));
  }
  absl::Status s = Process(std::span<const uint8_t>(buf_.data(), buf_len_), false);
  buf_len_ = 0;
  if (!s.ok()) return s;
  if (!final_seen_) return Fail(absl::DataLossError("age payload: truncated (no final chunk)"));
  sodium_memzero(plain_.data(), plain_.size());
  return absl::OkStatus();
}

// ---------------------------------------------------------------- range

absl::Status DecryptPayloadRange(const SecretBytes& file_key, RandomAccessSource& payload,
                                 uint64_t offset, uint64_t length, ByteSink& out,
                                 bulk::Backend backend) {
  absl::StatusOr<uint64_t> plain_size = PlaintextSizeForPayload(payload.size());
  if (!plain_size.ok()) return plain_size.status();
  if (offset > *plain_size || length > *plain_size - offset) {
    return absl::OutOfRangeError(absl::StrCat("range [", offset, ", +", length,
                                              ") passes the plaintext size ", *plain_size));
  }
  if (length == 0) return absl::OkStatus();
  PayloadNonce nonce;
  if (absl::Status s = payload.ReadAt(0, nonce); !s.ok()) return s;
  absl::StatusOr<StreamCipher> cipher = StreamCipher::Create(file_key, nonce, backend);
  if (!cipher.ok()) return cipher.status();
  const uint64_t chunks = ChunkCount(*plain_size);
  std::vector<uint8_t> sealed(kStreamSealedChunkBytes), plain(kStreamChunkBytes);
  const uint64_t end = offset + length;
  for (uint64_t i = offset / kStreamChunkBytes; i * kStreamChunkBytes < end; ++i) {
    const bool last = i == chunks - 1;
    const uint64_t chunk_plain =
        last ? *plain_size - i * kStreamChunkBytes : uint64_t{kStreamChunkBytes};
    std::span<uint8_t> in(sealed.data(), chunk_plain + kStreamTagBytes);
    if (absl::Status s = payload.ReadAt(kPayloadNonceBytes + i * kStreamSealedChunkBytes, in);
        !s.ok()) {
      return s;
    }
    std::span<uint8_t> pt(plain.data(), chunk_plain);
    if (!cipher->OpenChunk(i, last, in, pt).ok()) {
      return absl::DataLossError(
          absl::StrCat("age payload: chunk ", i, " failed authentication (corrupt or wrong key)"));
    }
    const uint64_t chunk_start = i * kStreamChunkBytes;
    const uint64_t from = std::max(offset, chunk_start) - chunk_start;
    const uint64_t to = std::min(end, chunk_start + chunk_plain) - chunk_start;
    if (absl::Status s = out.Write(pt.subspan(from, to - from)); !s.ok()) return s;
  }
  sodium_memzero(plain.data(), plain.size());
  return absl::OkStatus();
}

}  // namespace freehold::client
