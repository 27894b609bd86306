#include "common/erasure/erasure.h"

#include <isa-l/erasure_code.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace freehold::erasure {

ReedSolomon::ReedSolomon(int k, int m)
    : k_(k), m_(m), matrix_((k + m) * k), parity_tables_(32 * k * m) {
  gf_gen_cauchy1_matrix(matrix_.data(), k + m, k);
  ec_init_tables(k, m, matrix_.data() + k * k, parity_tables_.data());
}

absl::StatusOr<ReedSolomon> ReedSolomon::Create(int k, int m) {
  if (k < 1 || k > kMaxDataShards) {
    return absl::InvalidArgumentError(absl::StrCat("k: must be in [1, ", kMaxDataShards, "]"));
  }
  if (m < 1 || m > kMaxParityShards) {
    return absl::InvalidArgumentError(absl::StrCat("m: must be in [1, ", kMaxParityShards, "]"));
  }
  return ReedSolomon(k, m);
}

void ReedSolomon::EncodeParity(std::span<const uint8_t* const> data,
                               std::span<uint8_t* const> parity, size_t len) const {
  ec_encode_data(static_cast<int>(len), k_, m_, const_cast<uint8_t*>(parity_tables_.data()),
                 const_cast<uint8_t**>(data.data()), const_cast<uint8_t**>(parity.data()));
}

absl::Status ReedSolomon::Reconstruct(std::span<uint8_t* const> shards,
                                      std::span<const bool> present, size_t len,
                                      std::span<const bool> wanted) const {
  const int n = k_ + m_;
  if (static_cast<int>(shards.size()) != n || static_cast<int>(present.size()) != n ||
      (!wanted.empty() && static_cast<int>(wanted.size()) != n)) {
    return absl::InvalidArgumentError("shards: need exactly k+m entries");
  }
  std::vector<int> src, missing;
  for (int i = 0; i < n; ++i) {
    if (present[i]) {
      if (static_cast<int>(src.size()) < k_) src.push_back(i);
    } else if (wanted.empty() || wanted[i]) {
      missing.push_back(i);
    }
  }
  if (static_cast<int>(src.size()) < k_) {
    return absl::FailedPreconditionError(
        absl::StrCat("only ", src.size(), " of the ", k_, " shards needed are present"));
  }
  if (missing.empty()) return absl::OkStatus();
  // Invert the k x k submatrix of the rows we have.
  std::vector<uint8_t> b(k_ * k_), inv(k_ * k_);
  for (int i = 0; i < k_; ++i) std::memcpy(&b[i * k_], &matrix_[src[i] * k_], k_);
  if (gf_invert_matrix(b.data(), inv.data(), k_) != 0) {
    return absl::InternalError("erasure: singular decode matrix");  // Cauchy: cannot happen.
  }
  const int nerrs = static_cast<int>(missing.size());
  std::vector<uint8_t> decode(nerrs * k_);
  for (int e = 0; e < nerrs; ++e) {
    const int r = missing[e];
    if (r < k_) {
      std::memcpy(&decode[e * k_], &inv[r * k_], k_);
    } else {
      for (int j = 0; j < k_; ++j) {
        uint8_t s = 0;
        for (int t = 0; t < k_; ++t) s ^= gf_mul(matrix_[r * k_ + t], inv[t * k_ + j]);
        decode[e * k_ + j] = s;
      }
    }
  }
  std::vector<uint8_t> tables(32 * k_ * nerrs);
  ec_init_tables(k_, nerrs, decode.data(), tables.data());
  std::vector<uint8_t*> in(k_), out(nerrs);
  for (int i = 0; i < k_; ++i) in[i] = shards[src[i]];
  for (int e = 0; e < nerrs; ++e) out[e] = shards[missing[e]];
  ec_encode_data(static_cast<int>(len), k_, nerrs, tables.data(), in.data(), out.data());
  return absl::OkStatus();
}

namespace {

// Shared by EncodeSegment and EncodeSegmentWithDataHashes. `data_hashes`
// (k entries) skips hashing the data shards when the caller already did.
absl::StatusOr<EncodedSegment> Encode(const ReedSolomon& rs, std::vector<uint8_t> buffer,
                                      uint64_t segment_len,
                                      std::vector<bulk::Sha256Hash>* data_hashes,
                                      bulk::Backend backend) {
  if (segment_len == 0 || buffer.size() < segment_len) {
    return absl::InvalidArgumentError("segment: empty or shorter than segment_len");
  }
  if (data_hashes != nullptr && static_cast<int>(data_hashes->size()) != rs.k()) {
    return absl::InvalidArgumentError("data_hashes: need exactly k entries");
  }
  EncodedSegment seg;
  seg.segment_len = segment_len;
  seg.k = rs.k();
  seg.m = rs.m();
  seg.shard_size = ReedSolomon::ShardSize(segment_len, rs.k());
  const size_t total = seg.shard_size * static_cast<size_t>(rs.total());
  const size_t data_end = seg.shard_size * static_cast<size_t>(rs.k());
  // Growing value-initialises only the new tail; a recycled buffer that is
  // already large enough is not touched beyond the padding.
  if (buffer.size() < total) buffer.resize(total);
  std::memset(buffer.data() + segment_len, 0, data_end - segment_len);
  seg.storage = std::move(buffer);
  // Parity and hashes in cache-sized row blocks: each block of the k data
  // shards is read from memory once, and the SHA-256 of every shard (data and
  // freshly computed parity) consumes it while it is still in cache.
  const size_t n = static_cast<size_t>(rs.total());
  const size_t first_hashed = data_hashes != nullptr ? static_cast<size_t>(rs.k()) : 0;
  const size_t block = std::clamp<size_t>((size_t{512} << 10) / n / 64 * 64, 4096, 64 << 10);
  std::vector<bulk::Sha256> hashers;
  hashers.reserve(n);
  for (size_t i = 0; i < n; ++i) hashers.emplace_back(backend);
  std::vector<const uint8_t*> data(rs.k());
  std::vector<uint8_t*> parity(rs.m());
  for (size_t off = 0; off < seg.shard_size; off += block) {
    const size_t len = std::min(block, seg.shard_size - off);
    for (int i = 0; i < rs.k(); ++i) data[i] = seg.storage.data() + i * seg.shard_size + off;
    for (int i = 0; i < rs.m(); ++i) {
      parity[i] = seg.storage.data() + (rs.k() + i) * seg.shard_size + off;
    }
    rs.EncodeParity(data, parity, len);
    for (size_t i = first_hashed; i < n; ++i) {
      hashers[i].Update(
          std::span<const uint8_t>(seg.storage.data() + i * seg.shard_size + off, len));
    }
  }
  seg.hashes.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    seg.hashes.push_back(i < first_hashed ? (*data_hashes)[i] : hashers[i].Final());
  }
  return seg;
}

}  // namespace

absl::StatusOr<EncodedSegment> EncodeSegment(const ReedSolomon& rs, std::vector<uint8_t> buffer,
                                             uint64_t segment_len, bulk::Backend backend) {
  return Encode(rs, std::move(buffer), segment_len, nullptr, backend);
}

absl::StatusOr<EncodedSegment> EncodeSegmentWithDataHashes(
    const ReedSolomon& rs, std::vector<uint8_t> buffer, uint64_t segment_len,
    std::vector<bulk::Sha256Hash> data_hashes, bulk::Backend backend) {
  return Encode(rs, std::move(buffer), segment_len, &data_hashes, backend);
}

absl::StatusOr<EncodedSegment> EncodeSegment(const ReedSolomon& rs,
                                             std::span<const uint8_t> segment,
                                             bulk::Backend backend) {
  std::vector<uint8_t> buf;
  buf.reserve(ReedSolomon::ShardSize(segment.size(), rs.k()) * rs.total());
  buf.assign(segment.begin(), segment.end());
  return EncodeSegment(rs, std::move(buf), segment.size(), backend);
}

absl::StatusOr<std::vector<uint8_t>> DecodeSegment(const ReedSolomon& rs, uint64_t segment_len,
                                                   std::span<const std::span<const uint8_t>> shards,
                                                   std::span<const bulk::Sha256Hash> hashes,
                                                   std::vector<int>* rejected,
                                                   bulk::Backend backend) {
  const int n = rs.total();
  if (static_cast<int>(shards.size()) != n ||
      (!hashes.empty() && static_cast<int>(hashes.size()) != n)) {
    return absl::InvalidArgumentError("shards/hashes: need exactly k+m entries");
  }
  if (segment_len == 0) return absl::InvalidArgumentError("segment_len: must be positive");
  const size_t shard_size = ReedSolomon::ShardSize(segment_len, rs.k());
  std::unique_ptr<bool[]> present(new bool[n]());
  int good = 0;
  for (int i = 0; i < n; ++i) {
    if (shards[i].empty()) continue;
    bool ok = shards[i].size() == shard_size;
    if (ok && !hashes.empty()) {
      bulk::Sha256Hash h = bulk::Sha256Digest(shards[i], backend);
      ok = sodium_memcmp(h.data(), hashes[i].data(), h.size()) == 0;
    }
    if (!ok) {
      if (rejected != nullptr) rejected->push_back(i);
      continue;
    }
    present[i] = true;
    ++good;
  }
  if (good < rs.k()) {
    return absl::DataLossError(
        absl::StrCat("segment: only ", good, " good shards, ", rs.k(), " needed"));
  }
  std::vector<uint8_t> out(shard_size * rs.k());
  bool data_complete = true;
  for (int i = 0; i < rs.k(); ++i) data_complete = data_complete && present[i];
  if (data_complete) {
    for (int i = 0; i < rs.k(); ++i) {
      std::memcpy(out.data() + i * shard_size, shards[i].data(), shard_size);
    }
  } else {
    // Data shards go straight into the output; parity shards are copied into
    // scratch (only needed as sources). Only missing data shards are rebuilt.
    std::vector<uint8_t> scratch(shard_size * rs.m());
    std::vector<uint8_t*> bufs(n);
    std::unique_ptr<bool[]> wanted(new bool[n]());
    for (int i = 0; i < n; ++i) {
      bufs[i] =
          i < rs.k() ? out.data() + i * shard_size : scratch.data() + (i - rs.k()) * shard_size;
      if (present[i]) std::memcpy(bufs[i], shards[i].data(), shard_size);
      wanted[i] = i < rs.k();
    }
    if (absl::Status s = rs.Reconstruct(bufs, std::span<const bool>(present.get(), n), shard_size,
                                        std::span<const bool>(wanted.get(), n));
        !s.ok()) {
      return s;
    }
  }
  out.resize(segment_len);
  return out;
}

}  // namespace freehold::erasure
