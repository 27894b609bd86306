// Streaming byte interfaces used by every client-core codec (age header and
// STREAM, armor, segmenter, upload pipeline), so that a file is processed in
// bounded memory whatever its size.
//
// Contracts:
//  - ByteSource::Read fills at most out.size() bytes and returns how many; it
//    returns 0 only at end of input (or when out is empty). Errors are
//    sticky: after one error, every later call returns an error.
//  - ByteSink::Write consumes all of `data` or returns an error; Close flushes
//    and finalises (e.g. the last STREAM chunk); no Write after Close.
//  - RandomAccessSource::ReadAt fills `out` exactly or fails (OUT_OF_RANGE
//    when the range passes the end).
// None of these are thread-safe, except PositionalSource::ReadAtOffset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace freehold::client {

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsText(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual absl::StatusOr<size_t> Read(std::span<uint8_t> out) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(std::span<const uint8_t> data) = 0;
  virtual absl::Status Close() { return absl::OkStatus(); }
};

class RandomAccessSource {
 public:
  virtual ~RandomAccessSource() = default;
  virtual uint64_t size() const = 0;
  virtual absl::Status ReadAt(uint64_t offset, std::span<uint8_t> out) = 0;
};

// A byte source of known size that can also be read at any offset, from
// several threads at once (a local file). The upload pipeline reads such a
// source straight into its shard buffers (no plaintext buffers) instead of
// calling Read.
class PositionalSource : public ByteSource {
 public:
  // The number of bytes the source holds (fixed when it was opened).
  virtual uint64_t size() const = 0;
  // Fills `out` exactly with the bytes at [offset, offset + out.size()), or
  // fails (e.g. FAILED_PRECONDITION for a file that shrank). Thread-safe.
  virtual absl::Status ReadAtOffset(uint64_t offset, std::span<uint8_t> out) = 0;
  // OK if the source still holds exactly size() bytes; the pipeline calls it
  // after its last read, before reporting success.
  virtual absl::Status CheckUnchanged() = 0;
};

// Reads until `out` is full or the source ends; returns the count read.
absl::StatusOr<size_t> ReadFull(ByteSource& source, std::span<uint8_t> out);
// Copies all of `source` into `sink` (does not Close the sink), through a
// buffer of `buffer_size` bytes. Returns the number of bytes copied.
absl::StatusOr<uint64_t> Pump(ByteSource& source, ByteSink& sink, size_t buffer_size = 1 << 16);

// Reads from a span the caller keeps alive.
class SpanSource final : public ByteSource {
 public:
  explicit SpanSource(std::span<const uint8_t> data) : data_(data) {}
  explicit SpanSource(std::string_view data) : data_(AsBytes(data)) {}
  absl::StatusOr<size_t> Read(std::span<uint8_t> out) override;

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

class IstreamSource final : public ByteSource {
 public:
  explicit IstreamSource(std::istream& in) : in_(in) {}
  absl::StatusOr<size_t> Read(std::span<uint8_t> out) override;

 private:
  std::istream& in_;
};

class OstreamSink final : public ByteSink {
 public:
  explicit OstreamSink(std::ostream& out) : out_(out) {}
  absl::Status Write(std::span<const uint8_t> data) override;
  absl::Status Close() override;

 private:
  std::ostream& out_;
};

// Appends to a string the caller owns.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  absl::Status Write(std::span<const uint8_t> data) override {
    out_->append(AsText(data));
    return absl::OkStatus();
  }

 private:
  std::string* out_;
};

// Forwards each Write to a callback.
class CallbackSink final : public ByteSink {
 public:
  using Fn = std::function<absl::Status(std::span<const uint8_t>)>;
  explicit CallbackSink(Fn fn) : fn_(std::move(fn)) {}
  absl::Status Write(std::span<const uint8_t> data) override { return fn_(data); }

 private:
  Fn fn_;
};

// Random access over a span the caller keeps alive.
class SpanRandomAccess final : public RandomAccessSource {
 public:
  explicit SpanRandomAccess(std::span<const uint8_t> data) : data_(data) {}
  uint64_t size() const override { return data_.size(); }
  absl::Status ReadAt(uint64_t offset, std::span<uint8_t> out) override;

 private:
  std::span<const uint8_t> data_;
};

// Adds line reading and buffering on top of a ByteSource. Reads through it
// consume buffered bytes first, so a header can be read line by line and the
// rest handed on as a ByteSource.
class BufferedSource final : public ByteSource {
 public:
  explicit BufferedSource(ByteSource& source, size_t buffer_size = 1 << 16);
  absl::StatusOr<size_t> Read(std::span<uint8_t> out) override;
  // Reads one line including its '\n' into *line. Returns false at end of
  // input with *line holding any partial last line (no '\n'). A line longer
  // than max_len gives INVALID_ARGUMENT.
  absl::StatusOr<bool> ReadLine(std::string* line, size_t max_len);
  // Returns up to n upcoming bytes without consuming them (fewer at EOF).
  absl::StatusOr<std::string_view> Peek(size_t n);

 private:
  absl::Status Fill();  // Appends at least one byte unless EOF.
  ByteSource& source_;
  std::vector<uint8_t> buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
};

}  // namespace freehold::client
