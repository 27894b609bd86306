// SHA-256, one-shot and incremental, for shard hashes (client erasure coding,
// storage daemon verification, scrubbing).
//
// Contract: Sha256 is a plain value type, not thread-safe (one instance per
// thread); Update may be called any number of times, then Final once. After
// Final the object is reset and may be reused for a new message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/bulk/backend.h"

namespace freehold::bulk {

inline constexpr size_t kSha256Bytes = 32;
using Sha256Hash = std::array<uint8_t, kSha256Bytes>;

class Sha256 {
 public:
  explicit Sha256(Backend backend = kDefaultBackend);
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const uint8_t> data);
  void Update(std::string_view data) {
    Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  // Returns the digest of everything passed to Update since construction or
  // the previous Final, and resets the state.
  Sha256Hash Final();

  class Impl;

 private:
  Backend backend_;
  std::unique_ptr<Impl> impl_;
};

// One-shot digest.
Sha256Hash Sha256Digest(std::span<const uint8_t> data, Backend backend = kDefaultBackend);
Sha256Hash Sha256Digest(std::string_view data, Backend backend = kDefaultBackend);

// Lower-case hex of a digest (64 characters).
std::string Sha256Hex(const Sha256Hash& hash);

}  // namespace freehold::bulk
