// Cutting a payload stream into segments (default 64 MiB, last one shorter)
// and putting it back together, in bounded memory.
//
// Contracts:
//  - Segmenter is a ByteSink: it calls the handler once per full segment as
//    bytes arrive, and for the last (shorter) segment on Close. The handler
//    gets the segment index and a buffer holding exactly the segment; it may
//    move the buffer away (e.g. into EncodeSegment); the segmenter then
//    allocates a fresh one with capacity `reserve_bytes`. Zero input bytes
//    give zero segments. Handler errors stop the segmenter (sticky).
//  - SegmentJoiner is the inverse: segments must arrive in index order with
//    the lengths SegmentLayout gives; it writes them to a ByteSink.
//  - SegmentedPayloadSource gives random access over a segmented payload by
//    fetching whole segments through a callback (caching the last one), so
//    DecryptPayloadRange reads only the segments a range needs.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/core/byte_io.h"

namespace freehold::client {

inline constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;

struct SegmentLayout {
  uint64_t segment_size = kDefaultSegmentBytes;
  uint64_t total_size = 0;

  uint64_t count() const { return (total_size + segment_size - 1) / segment_size; }
  uint64_t offset(uint64_t index) const { return index * segment_size; }
  uint64_t length(uint64_t index) const {
    uint64_t off = offset(index);
    return off >= total_size ? 0 : std::min(segment_size, total_size - off);
  }
  uint64_t IndexOf(uint64_t byte_offset) const { return byte_offset / segment_size; }
};

class Segmenter final : public ByteSink {
 public:
  using Handler = std::function<absl::Status(uint64_t index, std::vector<uint8_t>& segment)>;
  // segment_size > 0; reserve_bytes >= segment_size lets a handler grow the
  // buffer in place (e.g. to k+m shards) without reallocating.
  Segmenter(uint64_t segment_size, Handler handler, uint64_t reserve_bytes = 0);
  absl::Status Write(std::span<const uint8_t> data) override;
  absl::Status Close() override;
  uint64_t segments_emitted() const { return next_index_; }
  uint64_t bytes_written() const { return total_; }

 private:
  absl::Status Emit();
  uint64_t segment_size_, reserve_;
  Handler handler_;
  std::vector<uint8_t> buf_;
  uint64_t next_index_ = 0, total_ = 0;
  bool closed_ = false;
  absl::Status status_;
};

class SegmentJoiner {
 public:
  SegmentJoiner(SegmentLayout layout, ByteSink& out) : layout_(layout), out_(out) {}
  // INVALID_ARGUMENT on an out-of-order index or a wrong length.
  absl::Status Add(uint64_t index, std::span<const uint8_t> segment);
  // FAILED_PRECONDITION if segments are missing.
  absl::Status Close();

 private:
  SegmentLayout layout_;
  ByteSink& out_;
  uint64_t next_ = 0;
};

class SegmentedPayloadSource final : public RandomAccessSource {
 public:
  // fetch(index) returns the whole segment (layout.length(index) bytes).
  using Fetch = std::function<absl::StatusOr<std::vector<uint8_t>>(uint64_t index)>;
  SegmentedPayloadSource(SegmentLayout layout, Fetch fetch)
      : layout_(layout), fetch_(std::move(fetch)) {}
  uint64_t size() const override { return layout_.total_size; }
  absl::Status ReadAt(uint64_t offset, std::span<uint8_t> out) override;
  uint64_t fetches() const { return fetches_; }

 private:
  SegmentLayout layout_;
  Fetch fetch_;
  std::optional<uint64_t> cached_index_;
  std::vector<uint8_t> cached_;
  uint64_t fetches_ = 0;
};

}  // namespace freehold::client
