#include "client/core/segmenter.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace freehold::client {

Segmenter::Segmenter(uint64_t segment_size, Handler handler, uint64_t reserve_bytes)
    : segment_size_(segment_size == 0 ? 1 : segment_size),
      reserve_(std::max(reserve_bytes, segment_size_)),
      handler_(std::move(handler)) {}

absl::Status Segmenter::Emit() {
  absl::Status s = handler_(next_index_++, buf_);
  if (!s.ok()) status_ = s;
  buf_.clear();
  return s;
}

absl::Status Segmenter::Write(std::span<const uint8_t> data) {
  if (!status_.ok()) return status_;
  if (closed_) return absl::FailedPreconditionError("segmenter already closed");
  total_ += data.size();
  while (!data.empty()) {
    if (buf_.capacity() < reserve_) buf_.reserve(reserve_);
    size_t take = static_cast<size_t>(std::min<uint64_t>(segment_size_ - buf_.size(), data.size()));
    buf_.insert(buf_.end(), data.begin(), data.begin() + take);
    data = data.subspan(take);
    // Emit a full segment only when more bytes follow or on Close, so the
    // handler always sees the final segment last.
    if (buf_.size() == segment_size_ && !data.empty()) {
      if (absl::Status s = Emit(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Segmenter::Close() {
  if (!status_.ok()) return status_;
  if (closed_) return absl::FailedPreconditionError("segmenter already closed");
  closed_ = true;
  if (buf_.empty()) return absl::OkStatus();
  return Emit();
}

absl::Status SegmentJoiner::Add(uint64_t index, std::span<const uint8_t> segment) {
  if (index != next_) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment ", index, " out of order (expected ", next_, ")"));
  }
  if (segment.size() != layout_.length(index) || index >= layout_.count()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "segment ", index, " has length ", segment.size(), ", expected ", layout_.length(index)));
  }
  ++next_;
  return out_.Write(segment);
}

absl::Status SegmentJoiner::Close() {
  if (next_ != layout_.count()) {
    return absl::FailedPreconditionError(
        absl::StrCat("only ", next_, " of ", layout_.count(), " segments joined"));
  }
  return absl::OkStatus();
}

absl::Status SegmentedPayloadSource::ReadAt(uint64_t offset, std::span<uint8_t> out) {
  if (offset > layout_.total_size || out.size() > layout_.total_size - offset) {
    return absl::OutOfRangeError("read past the end of the payload");
  }
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t pos = offset + done;
    const uint64_t index = layout_.IndexOf(pos);
    if (cached_index_ != index) {
      absl::StatusOr<std::vector<uint8_t>> seg = fetch_(index);
      ++fetches_;
      if (!seg.ok()) return seg.status();
      if (seg->size() != layout_.length(index)) {
        return absl::DataLossError(absl::StrCat("segment ", index, " has the wrong length"));
      }
      cached_ = std::move(*seg);
      cached_index_ = index;
    }
    const uint64_t in_seg = pos - layout_.offset(index);
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(out.size() - done, cached_.size() - in_seg));
    std::memcpy(out.data() + done, cached_.data() + in_seg, n);
    done += n;
  }
  return absl::OkStatus();
}

}  // namespace freehold::client
