#include "services/storaged/internal/direct_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "services/storaged/internal/files.h"

namespace freehold::storaged::internal {

std::unique_ptr<DirectWriter> DirectWriter::Create(int fd, std::string path,
                                                   size_t buffer_bytes) {
  if (buffer_bytes == 0 || buffer_bytes % kDirectAlignment != 0) return nullptr;
  std::unique_ptr<DirectWriter> writer(new DirectWriter(fd, std::move(path), buffer_bytes));
  for (auto& buffer : writer->buffers_) {
    void* memory = nullptr;
    if (::posix_memalign(&memory, kDirectAlignment, buffer_bytes) != 0) return nullptr;
    buffer.reset(static_cast<char*>(memory));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_DIRECT) != 0) return nullptr;
  return writer;
}

DirectWriter::DirectWriter(int fd, std::string path, size_t buffer_bytes)
    : fd_(fd), path_(std::move(path)), buffer_bytes_(buffer_bytes) {}

DirectWriter::~DirectWriter() {
  if (writer_.joinable()) writer_.join();
}

absl::Status DirectWriter::WriteAt(const char* data, size_t length, uint64_t offset) const {
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pwrite(fd_, data + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path_);
    }
    if (n == 0) return absl::InternalError(absl::StrCat("write ", path_, ": no progress"));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status DirectWriter::WaitForWrite() {
  if (!writer_.joinable()) return absl::OkStatus();
  writer_.join();
  return write_status_;
}

void DirectWriter::StartWrite(size_t length) {
  const char* data = buffers_[current_].get();
  const uint64_t offset = offset_;
  writer_ = std::thread([this, data, length, offset] {
    write_status_ = WriteAt(data, length, offset);
  });
  offset_ += length;
  current_ = 1 - current_;
  used_ = 0;
}

absl::Status DirectWriter::Append(std::string_view data) {
  while (!data.empty()) {
    const size_t take = std::min(buffer_bytes_ - used_, data.size());
    std::memcpy(buffers_[current_].get() + used_, data.data(), take);
    used_ += take;
    data.remove_prefix(take);
    if (used_ == buffer_bytes_) {
      // The other buffer must be on disk before it is refilled.
      absl::Status previous = WaitForWrite();
      if (!previous.ok()) return previous;
      StartWrite(buffer_bytes_);
    }
  }
  return absl::OkStatus();
}

absl::Status DirectWriter::Finish(uint64_t final_size) {
  absl::Status status = WaitForWrite();
  if (!status.ok()) return status;
  if (used_ > 0) {
    const size_t padded = (used_ + kDirectAlignment - 1) / kDirectAlignment * kDirectAlignment;
    std::memset(buffers_[current_].get() + used_, 0, padded - used_);
    status = WriteAt(buffers_[current_].get(), padded, offset_);
    if (!status.ok()) return status;
    offset_ += padded;
    used_ = 0;
  }
  if (offset_ != final_size && ::ftruncate(fd_, static_cast<off_t>(final_size)) != 0) {
    return ErrnoStatus(errno, "truncate", path_);
  }
  return absl::OkStatus();
}

}  // namespace freehold::storaged::internal
