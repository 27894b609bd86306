#include "client/core/internal/segment_builder.h"

#include <algorithm>
#include <cstring>

#include "common/bulk/sha256.h"

namespace freehold::client::internal {
namespace {

constexpr uint64_t P = kStreamChunkBytes;
constexpr uint64_t C = kStreamSealedChunkBytes;
constexpr uint64_t N = kPayloadNonceBytes;

// Hashes the data shards of a segment as its bytes are written in order,
// while they are still in cache.
class DataShardHasher {
 public:
  DataShardHasher(int k, uint64_t shard_size, bulk::Backend backend) : shard_size_(shard_size) {
    hashers_.reserve(k);
    for (int i = 0; i < k; ++i) hashers_.emplace_back(backend);
  }
  // Bytes [done, upto) of the data area are final: hash them.
  void Feed(const uint8_t* base, uint64_t upto) {
    while (done_ < upto) {
      const uint64_t shard = done_ / shard_size_;
      const uint64_t end = std::min(upto, (shard + 1) * shard_size_);
      hashers_[shard].Update(std::span<const uint8_t>(base + done_, end - done_));
      done_ = end;
    }
  }
  std::vector<bulk::Sha256Hash> Finish() {
    std::vector<bulk::Sha256Hash> out;
    for (bulk::Sha256& h : hashers_) out.push_back(h.Final());
    return out;
  }

 private:
  uint64_t shard_size_;
  uint64_t done_ = 0;
  std::vector<bulk::Sha256> hashers_;
};

}  // namespace

absl::StatusOr<erasure::EncodedSegment> BuildSegment(
    const SegmentJob& job, StreamCipher& cipher, const PayloadNonce& nonce,
    const erasure::ReedSolomon& rs, bulk::Backend backend, PositionalSource* source,
    std::vector<uint8_t> storage, std::vector<uint8_t>& scratch) {
  const uint64_t shard = erasure::ReedSolomon::ShardSize(job.seg_len, rs.k());
  const uint64_t total = shard * rs.total();
  if (storage.size() < total) storage.resize(total);
  uint8_t* buf = storage.data();
  const uint64_t seg_start = job.seg_offset, seg_end = job.seg_offset + job.seg_len;
  DataShardHasher hasher(rs.k(), shard, backend);
  if (seg_start < N) {
    const uint64_t n = std::min(N, seg_end) - seg_start;
    std::memcpy(buf, nonce.data() + seg_start, n);
  }
  // scratch: one sealed chunk, then (positional reads) one plaintext chunk.
  scratch.resize(C + P);
  for (uint64_t j = job.first_chunk; j < job.end_chunk; ++j) {
    const bool last = job.final_chunk && j == *job.final_chunk;
    const uint64_t pt_off = (j - job.first_chunk) * P;
    const uint64_t pt_len = last ? job.plaintext_total - j * P : P;
    const uint64_t ct_off = N + j * C, ct_len = pt_len + kStreamTagBytes;
    std::span<const uint8_t> pt;
    if (source == nullptr) pt = std::span<const uint8_t>(job.plain.data() + pt_off, pt_len);
    if (ct_off >= seg_start && ct_off + ct_len <= seg_end) {
      std::span<uint8_t> out(buf + (ct_off - seg_start), ct_len);
      if (source != nullptr) {
        if (absl::Status s = source->ReadAtOffset(j * P, out.first(pt_len)); !s.ok()) return s;
        pt = out.first(pt_len);  // sealed in place
      }
      if (absl::Status s = cipher.SealChunk(j, last, pt, out); !s.ok()) return s;
    } else {
      // A chunk straddling a segment boundary: seal it aside, keep our part.
      if (source != nullptr) {
        std::span<uint8_t> in(scratch.data() + C, pt_len);
        if (absl::Status s = source->ReadAtOffset(j * P, in); !s.ok()) return s;
        pt = in;
      }
      std::span<uint8_t> out(scratch.data(), ct_len);
      if (absl::Status s = cipher.SealChunk(j, last, pt, out); !s.ok()) return s;
      const uint64_t from = std::max(ct_off, seg_start), to = std::min(ct_off + ct_len, seg_end);
      std::memcpy(buf + (from - seg_start), scratch.data() + (from - ct_off), to - from);
    }
    hasher.Feed(buf, std::min(ct_off + ct_len, seg_end) - seg_start);
  }
  // Zero padding of the last data shard, then the remaining data bytes.
  const uint64_t data_end = shard * rs.k();
  std::memset(buf + job.seg_len, 0, data_end - job.seg_len);
  hasher.Feed(buf, data_end);
  return erasure::EncodeSegmentWithDataHashes(rs, std::move(storage), job.seg_len, hasher.Finish(),
                                              backend);
}

}  // namespace freehold::client::internal
