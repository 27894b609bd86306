#include "client/core/internal/segment_job.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"

namespace freehold::client::internal {
namespace {

constexpr uint64_t P = kStreamChunkBytes;
constexpr uint64_t C = kStreamSealedChunkBytes;
constexpr uint64_t N = kPayloadNonceBytes;

void ChunkRange(uint64_t seg_offset, uint64_t seg_len, uint64_t* first, uint64_t* end) {
  const uint64_t seg_end = seg_offset + seg_len;
  if (seg_end <= N) {
    *first = *end = 0;
    return;
  }
  *first = seg_offset < N ? 0 : (seg_offset - N) / C;
  *end = (seg_end - 1 - N) / C + 1;
}

}  // namespace

SegmentJobReader::SegmentJobReader(ByteSource& in, uint64_t segment_size,
                                   PositionalSource* positional)
    : in_(in), segment_size_(segment_size), positional_(positional) {
  if (positional_ != nullptr) {
    read_total_ = positional_->size();
    eof_ = true;
    payload_total_ = PayloadSizeForPlaintext(read_total_);
  }
}

absl::StatusOr<bool> SegmentJobReader::Next(SegmentJob* job) {
  const uint64_t seg_offset = next_index_ * segment_size_;
  if (positional_ != nullptr) return NextPositional(job, seg_offset);
  return NextStreamed(job, seg_offset);
}

bool SegmentJobReader::NextPositional(SegmentJob* job, uint64_t seg_offset) {
  if (seg_offset >= payload_total_) return false;
  job->plain_len = 0;
  job->seg_len = std::min(segment_size_, payload_total_ - seg_offset);
  ChunkRange(seg_offset, job->seg_len, &job->first_chunk, &job->end_chunk);
  job->final_chunk = ChunkCount(read_total_) - 1;
  job->plaintext_total = read_total_;
  job->index = next_index_++;
  job->seg_offset = seg_offset;
  return true;
}

absl::StatusOr<bool> SegmentJobReader::NextStreamed(SegmentJob* job, uint64_t seg_offset) {
  if (eof_ && seg_offset >= payload_total_) return false;
  uint64_t seg_len = eof_ ? std::min(segment_size_, payload_total_ - seg_offset) : segment_size_;
  uint64_t first, end;
  ChunkRange(seg_offset, seg_len, &first, &end);
  // Gather plaintext [first*P, end*P + 1): one byte of lookahead tells
  // whether the last chunk here is the payload's final chunk.
  const uint64_t want_begin = first * P, want_end = end * P + 1;
  // Buffers only grow (a recycled one is not zero-filled again).
  job->plain_len = want_end - want_begin;
  if (job->plain.size() < job->plain_len) job->plain.resize(job->plain_len);
  if (carry_start_ > want_begin) return absl::InternalError("upload pipeline: reader went back");
  uint64_t have = 0;
  if (carry_start_ + carry_.size() > want_begin) {
    have = std::min<uint64_t>(carry_start_ + carry_.size() - want_begin, job->plain_len);
    std::memcpy(job->plain.data(), carry_.data() + (want_begin - carry_start_), have);
  }
  if (!eof_ && have < job->plain_len) {
    absl::StatusOr<size_t> n =
        ReadFull(in_, std::span<uint8_t>(job->plain.data() + have, job->plain_len - have));
    if (!n.ok()) return n.status();
    read_total_ += *n;
    have += *n;
    if (have < job->plain_len) {
      eof_ = true;
      payload_total_ = PayloadSizeForPlaintext(read_total_);
    }
  }
  if (eof_) {
    if (seg_offset >= payload_total_) return false;
    seg_len = std::min(segment_size_, payload_total_ - seg_offset);
    ChunkRange(seg_offset, seg_len, &first, &end);
    job->final_chunk = ChunkCount(read_total_) - 1;
    job->plaintext_total = read_total_;
  } else {
    job->final_chunk.reset();
  }
  job->index = next_index_++;
  job->seg_offset = seg_offset;
  job->seg_len = seg_len;
  job->first_chunk = first;
  job->end_chunk = end;
  // Keep plaintext from the last chunk on (it may straddle into the next
  // segment) plus the lookahead.
  const uint64_t keep_from = end == 0 ? 0 : (end - 1) * P;
  carry_.assign(
      job->plain.begin() + static_cast<ptrdiff_t>(std::max(keep_from, want_begin) - want_begin),
      job->plain.begin() + static_cast<ptrdiff_t>(have));
  carry_start_ = std::max(keep_from, want_begin);
  return true;
}

}  // namespace freehold::client::internal
