// Segment jobs of the upload pipeline: which STREAM chunks and which
// plaintext make up each segment of the age payload, cut from the plaintext
// source by SegmentJobReader along one of two read paths:
//   - streamed: plaintext is read through ByteSource::Read into the job's
//     buffer (with one byte of lookahead to find the final chunk);
//   - positional (a PositionalSource, e.g. a local file): the size is known up
//     front, jobs carry no plaintext and the workers read their chunks at
//     their offsets themselves (see segment_builder.h).
// Internal to client_core.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "client/core/age_stream.h"
#include "client/core/byte_io.h"

namespace freehold::client::internal {

// One segment's work: the STREAM chunks overlapping payload bytes
// [seg_offset, seg_offset + seg_len) and their plaintext.
struct SegmentJob {
  uint64_t index = 0;
  uint64_t seg_offset = 0, seg_len = 0;
  uint64_t first_chunk = 0, end_chunk = 0;  // chunks [first, end)
  std::optional<uint64_t> final_chunk;      // set once the plaintext size is known
  uint64_t plaintext_total = 0;             // valid when final_chunk is set
  std::vector<uint8_t> plain;               // plaintext from first_chunk * P (streamed path)
  uint64_t plain_len = 0;                   // bytes of `plain` in use
};

// Reads plaintext and cuts it into segment jobs (the only stateful reader;
// one thread at a time).
class SegmentJobReader {
 public:
  // With `positional` set (the same object as `in`), the size is known up
  // front and jobs carry no plaintext: workers read it themselves.
  SegmentJobReader(ByteSource& in, uint64_t segment_size, PositionalSource* positional);

  // Fills *job for the next segment; returns false when there is none. A
  // recycled job.plain buffer is reused (it only grows). Errors are the
  // source's.
  absl::StatusOr<bool> Next(SegmentJob* job);

  uint64_t plaintext_bytes() const { return read_total_; }
  uint64_t payload_bytes() const { return payload_total_; }

 private:
  bool NextPositional(SegmentJob* job, uint64_t seg_offset);
  absl::StatusOr<bool> NextStreamed(SegmentJob* job, uint64_t seg_offset);

  ByteSource& in_;
  uint64_t segment_size_;
  PositionalSource* positional_;
  uint64_t next_index_ = 0;
  std::vector<uint8_t> carry_;
  uint64_t carry_start_ = 0;
  uint64_t read_total_ = 0;
  bool eof_ = false;
  uint64_t payload_total_ = 0;
};

}  // namespace freehold::client::internal
