// BloomFilter: a compact set of byte strings with false positives and no false
// negatives, for sending "the shard keys this node should hold" to a storage daemon
// (the orphan sweep, docs/PROTOCOL.md). Hand-written because Debian's only C/C++
// Bloom filter library (libbloom 1.6) has no way to load a filter's bits from the
// wire (its bit array is private) and hashes with unkeyed, endian-dependent
// MurmurHash2.
//
// Hashing: SipHash-2-4 with a 128-bit output (libsodium crypto_shorthash_siphashx24)
// under a 16-byte key sent with the filter; bit i of k is (h1 + i*h2) mod m with
// h1, h2 the two 64-bit halves (Kirsch-Mitzenmacher double hashing). A fresh random
// key per filter makes false positives independent from one filter to the next, so
// an item spared by a false positive once is very unlikely to be spared again.
//
// Sizing for n items at false-positive rate p: m = ceil(-n ln p / (ln 2)^2) bits
// (rounded up to whole bytes, at least 64), k = round(m/n * ln 2) clamped to [1, 30].
// Bit j lives in byte j/8 at bit j%8 (least significant first).
//
// Not thread-safe for Add; MightContain is const and may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace freehold {

class BloomFilter {
 public:
  static constexpr size_t kKeyBytes = 16;
  static constexpr uint32_t kMaxHashCount = 30;
  // Largest filter FromParts accepts (64 MiB of bits).
  static constexpr size_t kMaxBytes = size_t{64} << 20;

  // An empty filter sized for `expected_items` (0 is treated as 1) at false-positive
  // rate `fp_rate` (clamped to [1e-9, 0.5]), hashing under `key` (kKeyBytes bytes;
  // see NewKey).
  static BloomFilter ForCapacity(uint64_t expected_items, double fp_rate, std::string key);
  // Rebuilds a filter from its wire parts. INVALID_ARGUMENT naming `field_prefix`.bits,
  // .hash_count or .hash_key when empty, too large, out of range or of the wrong size.
  static absl::StatusOr<BloomFilter> FromParts(std::string bits, uint32_t hash_count,
                                               std::string key,
                                               std::string_view field_prefix = "filter");
  // kKeyBytes random bytes (libsodium randombytes_buf).
  static std::string NewKey();

  void Add(std::string_view item);
  bool MightContain(std::string_view item) const;

  const std::string& bits() const { return bits_; }
  uint64_t bit_count() const { return static_cast<uint64_t>(bits_.size()) * 8; }
  uint32_t hash_count() const { return hash_count_; }
  const std::string& key() const { return key_; }

 private:
  BloomFilter(std::string bits, uint32_t hash_count, std::string key)
      : bits_(std::move(bits)), hash_count_(hash_count), key_(std::move(key)) {}
  void Hash(std::string_view item, uint64_t* h1, uint64_t* h2) const;

  std::string bits_;
  uint32_t hash_count_;
  std::string key_;
};

}  // namespace freehold
