#include "common/bloom_filter.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/string_view.h"

namespace freehold {

BloomFilter BloomFilter::ForCapacity(uint64_t expected_items, double fp_rate, std::string key) {
  const double n = static_cast<double>(std::max<uint64_t>(expected_items, 1));
  const double p = std::clamp(fp_rate, 1e-9, 0.5);
  const double ln2 = std::log(2.0);
  const double bits = std::ceil(-n * std::log(p) / (ln2 * ln2));
  const size_t bytes = std::min(kMaxBytes, std::max<size_t>(8, static_cast<size_t>((bits + 7) / 8)));
  const double per_item = static_cast<double>(bytes) * 8.0 / n;
  const uint32_t k = static_cast<uint32_t>(
      std::clamp<double>(std::round(per_item * ln2), 1.0, static_cast<double>(kMaxHashCount)));
  return BloomFilter(std::string(bytes, '\0'), k, std::move(key));
}

absl::StatusOr<BloomFilter> BloomFilter::FromParts(std::string bits, uint32_t hash_count,
                                                   std::string key,
                                                   std::string_view field_prefix) {
  const absl::string_view prefix = AbslView(field_prefix);
  if (bits.empty()) return absl::InvalidArgumentError(absl::StrCat(prefix, ".bits is empty"));
  if (bits.size() > kMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ".bits is ", bits.size(), " bytes; at most ", kMaxBytes));
  }
  if (hash_count == 0 || hash_count > kMaxHashCount) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ".hash_count is ", hash_count,
                                                   "; it must be 1..", kMaxHashCount));
  }
  if (key.size() != kKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ".hash_key is ", key.size(), " bytes; it must be ", kKeyBytes));
  }
  return BloomFilter(std::move(bits), hash_count, std::move(key));
}

std::string BloomFilter::NewKey() {
  std::string key(kKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

void BloomFilter::Hash(std::string_view item, uint64_t* h1, uint64_t* h2) const {
  static_assert(crypto_shorthash_siphashx24_BYTES == 16);
  static_assert(crypto_shorthash_siphashx24_KEYBYTES == kKeyBytes);
  unsigned char out[16];
  crypto_shorthash_siphashx24(out, reinterpret_cast<const unsigned char*>(item.data()),
                              item.size(), reinterpret_cast<const unsigned char*>(key_.data()));
  std::memcpy(h1, out, 8);
  std::memcpy(h2, out + 8, 8);
  *h2 |= 1;  // never a zero stride
}

void BloomFilter::Add(std::string_view item) {
  uint64_t h1 = 0, h2 = 0;
  Hash(item, &h1, &h2);
  const uint64_t m = bit_count();
  for (uint32_t i = 0; i < hash_count_; ++i) {
    const uint64_t bit = (h1 + i * h2) % m;
    bits_[bit / 8] = static_cast<char>(static_cast<unsigned char>(bits_[bit / 8]) | (1u << (bit % 8)));
  }
}

bool BloomFilter::MightContain(std::string_view item) const {
  uint64_t h1 = 0, h2 = 0;
  Hash(item, &h1, &h2);
  const uint64_t m = bit_count();
  for (uint32_t i = 0; i < hash_count_; ++i) {
    const uint64_t bit = (h1 + i * h2) % m;
    if ((static_cast<unsigned char>(bits_[bit / 8]) & (1u << (bit % 8))) == 0) return false;
  }
  return true;
}

}  // namespace freehold
