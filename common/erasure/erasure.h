// Reed-Solomon erasure coding of payload segments with Intel ISA-L (Cauchy
// matrix, GF(2^8)): k data + m parity shards, any k of which rebuild the
// segment. Shard size = ceil(segment_len / k); the last data shard is
// zero-padded and the original segment length is recorded by the caller
// (manifest). Each shard carries its SHA-256; a shard whose hash does not
// match is treated as missing.
//
// Contracts: ReedSolomon is immutable after Create and safe to share between
// threads (const methods only). 1 <= k <= 64, 1 <= m <= 32 (20+8 and beyond).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bulk/sha256.h"

namespace freehold::erasure {

inline constexpr int kMaxDataShards = 64;
inline constexpr int kMaxParityShards = 32;

class ReedSolomon {
 public:
  // INVALID_ARGUMENT if k or m is out of range.
  static absl::StatusOr<ReedSolomon> Create(int k, int m);

  int k() const { return k_; }
  int m() const { return m_; }
  int total() const { return k_ + m_; }
  static uint64_t ShardSize(uint64_t segment_len, int k) {
    return (segment_len + static_cast<uint64_t>(k) - 1) / static_cast<uint64_t>(k);
  }

  // Computes m parity shards of `len` bytes from k data shards.
  void EncodeParity(std::span<const uint8_t* const> data, std::span<uint8_t* const> parity,
                    size_t len) const;
  // shards: k+m writable buffers of `len` bytes; present[i] says whether
  // shards[i] holds valid bytes. Rebuilds every missing shard i with
  // wanted[i] (all missing shards if `wanted` is empty); used for decoding
  // and for repair. FAILED_PRECONDITION if fewer than k are present.
  absl::Status Reconstruct(std::span<uint8_t* const> shards, std::span<const bool> present,
                           size_t len, std::span<const bool> wanted = {}) const;

 private:
  ReedSolomon(int k, int m);
  int k_, m_;
  std::vector<uint8_t> matrix_;         // (k+m) x k, top k rows identity
  std::vector<uint8_t> parity_tables_;  // ec_init_tables for the m parity rows
};

// An encoded segment: shards laid out contiguously (shard i at
// i * shard_size), data shards first, so data shards are the segment itself.
struct EncodedSegment {
  uint64_t segment_len = 0;
  size_t shard_size = 0;
  int k = 0, m = 0;
  // At least (k+m) * shard_size bytes (a recycled buffer may be longer);
  // address shards with shard(i).
  std::vector<uint8_t> storage;
  std::vector<bulk::Sha256Hash> hashes;

  std::span<const uint8_t> shard(int i) const {
    return {storage.data() + static_cast<size_t>(i) * shard_size, shard_size};
  }
};

// Takes ownership of `buffer` whose first `segment_len` bytes are the segment;
// bytes after it are scratch (a recycled buffer already (k+m)*shard_size long
// is used as is, no reallocation). Pads, computes parity and the SHA-256 of
// every shard. INVALID_ARGUMENT if buffer.size() < segment_len or
// segment_len == 0.
absl::StatusOr<EncodedSegment> EncodeSegment(const ReedSolomon& rs, std::vector<uint8_t> buffer,
                                             uint64_t segment_len,
                                             bulk::Backend backend = bulk::kDefaultBackend);
// As EncodeSegment, for producers that hashed the data shards while writing
// them (the upload pipeline does, while the bytes are in cache): data_hashes
// holds the SHA-256 of the k data shards including their zero padding
// (INVALID_ARGUMENT if not k entries); they are taken as given.
absl::StatusOr<EncodedSegment> EncodeSegmentWithDataHashes(
    const ReedSolomon& rs, std::vector<uint8_t> buffer, uint64_t segment_len,
    std::vector<bulk::Sha256Hash> data_hashes, bulk::Backend backend = bulk::kDefaultBackend);
// Copying convenience form.
absl::StatusOr<EncodedSegment> EncodeSegment(const ReedSolomon& rs,
                                             std::span<const uint8_t> segment,
                                             bulk::Backend backend = bulk::kDefaultBackend);

// Rebuilds a segment from the shards at hand. shards has k+m entries; an empty
// span means missing. If `hashes` is non-empty (k+m entries) each shard is
// verified first and a mismatch (or wrong size) is treated as missing, its
// index appended to *rejected. DATA_LOSS if fewer than k good shards remain.
absl::StatusOr<std::vector<uint8_t>> DecodeSegment(const ReedSolomon& rs, uint64_t segment_len,
                                                   std::span<const std::span<const uint8_t>> shards,
                                                   std::span<const bulk::Sha256Hash> hashes,
                                                   std::vector<int>* rejected = nullptr,
                                                   bulk::Backend backend = bulk::kDefaultBackend);

}  // namespace freehold::erasure
