#include "client/core/byte_io.h"

#include <algorithm>
#include <cstring>

namespace freehold::client {

absl::StatusOr<size_t> ReadFull(ByteSource& source, std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    absl::StatusOr<size_t> n = source.Read(out.subspan(done));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    done += *n;
  }
  return done;
}

absl::StatusOr<uint64_t> Pump(ByteSource& source, ByteSink& sink, size_t buffer_size) {
  std::vector<uint8_t> buf(buffer_size);
  uint64_t total = 0;
  while (true) {
    absl::StatusOr<size_t> n = source.Read(buf);
    if (!n.ok()) return n.status();
    if (*n == 0) return total;
    if (absl::Status s = sink.Write(std::span<const uint8_t>(buf.data(), *n)); !s.ok()) return s;
    total += *n;
  }
}

absl::StatusOr<size_t> SpanSource::Read(std::span<uint8_t> out) {
  size_t n = std::min(out.size(), data_.size() - pos_);
  if (n > 0) std::memcpy(out.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

absl::StatusOr<size_t> IstreamSource::Read(std::span<uint8_t> out) {
  if (out.empty() || in_.eof()) return 0;
  in_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  size_t n = static_cast<size_t>(in_.gcount());
  if (in_.bad()) return absl::DataLossError("read error on input stream");
  return n;
}

absl::Status OstreamSink::Write(std::span<const uint8_t> data) {
  out_.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out_) return absl::DataLossError("write error on output stream");
  return absl::OkStatus();
}

absl::Status OstreamSink::Close() {
  out_.flush();
  if (!out_) return absl::DataLossError("flush error on output stream");
  return absl::OkStatus();
}

absl::Status SpanRandomAccess::ReadAt(uint64_t offset, std::span<uint8_t> out) {
  if (offset > data_.size() || out.size() > data_.size() - offset) {
    return absl::OutOfRangeError("read past the end of the payload");
  }
  if (!out.empty()) std::memcpy(out.data(), data_.data() + offset, out.size());
  return absl::OkStatus();
}

BufferedSource::BufferedSource(ByteSource& source, size_t buffer_size)
    : source_(source), buf_(std::max<size_t>(buffer_size, 64)) {}

absl::Status BufferedSource::Fill() {
  if (eof_) return absl::OkStatus();
  if (begin_ > 0 && end_ == buf_.size()) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  absl::StatusOr<size_t> n = source_.Read(std::span<uint8_t>(buf_).subspan(end_));
  if (!n.ok()) return n.status();
  if (*n == 0) eof_ = true;
  end_ += *n;
  return absl::OkStatus();
}

absl::StatusOr<size_t> BufferedSource::Read(std::span<uint8_t> out) {
  if (out.empty()) return 0;
  if (begin_ == end_) {
    // Large reads bypass the buffer.
    if (out.size() >= buf_.size()) return eof_ ? 0 : source_.Read(out);
    begin_ = end_ = 0;
    if (absl::Status s = Fill(); !s.ok()) return s;
  }
  size_t n = std::min(out.size(), end_ - begin_);
  std::memcpy(out.data(), buf_.data() + begin_, n);
  begin_ += n;
  return n;
}

absl::StatusOr<bool> BufferedSource::ReadLine(std::string* line, size_t max_len) {
  line->clear();
  while (true) {
    const uint8_t* start = buf_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    size_t avail = nl ? static_cast<const uint8_t*>(nl) - start + 1 : end_ - begin_;
    if (line->size() + avail > max_len) {
      return absl::InvalidArgumentError("line too long");
    }
    line->append(reinterpret_cast<const char*>(start), avail);
    begin_ += avail;
    if (nl != nullptr) return true;
    if (eof_) return false;
    begin_ = end_ = 0;
    if (absl::Status s = Fill(); !s.ok()) return s;
  }
}

absl::StatusOr<std::string_view> BufferedSource::Peek(size_t n) {
  while (end_ - begin_ < n && !eof_) {
    if (absl::Status s = Fill(); !s.ok()) return s;
  }
  return std::string_view(reinterpret_cast<const char*>(buf_.data() + begin_),
                          std::min(n, end_ - begin_));
}

}  // namespace freehold::client
