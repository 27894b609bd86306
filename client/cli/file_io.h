// Local files for put/get/export: a source that reads exactly the size seen at
// start (a file that changes under an upload is an error, not a corrupt
// object) and an output that appears under its name only when complete
// (written to a temporary file in the same directory, renamed on Commit;
// standard output and devices such as /dev/null are written directly).
// I/O errors name the file; ENOSPC/EDQUOT are RESOURCE_EXHAUSTED.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/core/byte_io.h"

namespace freehold::cli {

// errno as a status naming `path` (NOT_FOUND, PERMISSION_DENIED,
// RESOURCE_EXHAUSTED for a full disk, else INTERNAL).
absl::Status FileError(int err, absl::string_view what, const std::string& path);

struct LocalFileInfo {
  uint64_t size = 0;
  int64_t modified_unix_nanos = 0;
};

class InputFile final : public client::PositionalSource {
 public:
  // NOT_FOUND "no such file"; FAILED_PRECONDITION for a directory or a
  // non-regular file.
  static absl::StatusOr<std::unique_ptr<InputFile>> Open(const std::string& path);
  ~InputFile() override;
  const LocalFileInfo& info() const { return info_; }
  // Reads up to info().size bytes; FAILED_PRECONDITION if the file shrank or
  // grew while being read.
  absl::StatusOr<size_t> Read(std::span<uint8_t> out) override;
  // PositionalSource (pread; thread-safe): FAILED_PRECONDITION if the file
  // shrank below the range read, or (CheckUnchanged) grew, shrank or was modified.
  uint64_t size() const override { return info_.size; }
  absl::Status ReadAtOffset(uint64_t offset, std::span<uint8_t> out) override;
  absl::Status CheckUnchanged() override;

 private:
  InputFile(int fd, std::string path, LocalFileInfo info)
      : fd_(fd), path_(std::move(path)), info_(info) {}
  int fd_;
  std::string path_;
  LocalFileInfo info_;
  uint64_t read_ = 0;
};

class OutputFile final : public client::ByteSink {
 public:
  // "-" = standard output. An existing file is replaced only at Commit.
  static absl::StatusOr<std::unique_ptr<OutputFile>> Create(const std::string& path);
  // Removes the temporary file unless committed.
  ~OutputFile() override;
  absl::Status Write(std::span<const uint8_t> data) override;
  // Flushes and renames into place (no fsync, like cp or age).
  absl::Status Commit();
  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return written_; }

 private:
  OutputFile(int fd, std::string path, std::string temp, bool owns_fd)
      : fd_(fd), path_(std::move(path)), temp_(std::move(temp)), owns_fd_(owns_fd) {}
  absl::Status Flush();
  int fd_;
  std::string path_;
  std::string temp_;  // empty when writing directly
  bool owns_fd_;
  bool committed_ = false;
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
};

}  // namespace freehold::cli
