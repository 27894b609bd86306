// Small POSIX file helpers for the storage daemon. Every error is an absl::Status
// naming the operation and the path (ENOSPC/EDQUOT -> RESOURCE_EXHAUSTED,
// ENOENT -> NOT_FOUND, EACCES/EPERM -> PERMISSION_DENIED, otherwise INTERNAL).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace freehold::storaged::internal {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

absl::Status ErrnoStatus(int err, std::string_view operation, std::string_view path);

// open(2) with O_CLOEXEC added.
absl::StatusOr<UniqueFd> OpenFile(const std::string& path, int flags, int mode = 0600);

// Writes all of [data, data+size) at the current offset (retrying short writes/EINTR).
absl::Status WriteAll(int fd, const void* data, size_t size, std::string_view path);
// Reads up to `size` bytes at `offset`; returns the count (short only at end of file).
absl::StatusOr<size_t> PreadFull(int fd, void* data, size_t size, uint64_t offset,
                                 std::string_view path);

absl::Status Fsync(int fd, std::string_view path);
// Opens `dir` and fsyncs it, making renames/creations/unlinks inside it durable.
absl::Status FsyncDir(const std::string& dir);
// mkdir -p with `mode` for created directories; fsyncs the parent of each created one.
absl::Status EnsureDir(const std::string& dir, int mode = 0700);

// Writes `content` to `path` atomically and durably (temp file, fsync, rename, fsync dir).
absl::Status WriteFileAtomically(const std::string& path, std::string_view content, int mode);
// Reads a whole file; FAILED_PRECONDITION if it is larger than `max_bytes`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

// The directory part of `path` ("." if none).
std::string DirName(const std::string& path);

}  // namespace freehold::storaged::internal
