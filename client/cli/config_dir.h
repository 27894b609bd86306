// The CLI's configuration directory: $FREEHOLD_CONFIG_DIR, else
// $XDG_CONFIG_HOME/freehold, else ~/.config/freehold. Created with mode 0700;
// every file in it is written atomically (temp file + rename) with mode 0600.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace freehold::cli {

// The directory the environment selects (not created). FAILED_PRECONDITION if
// neither FREEHOLD_CONFIG_DIR, XDG_CONFIG_HOME nor HOME is set.
absl::StatusOr<std::string> DefaultConfigDir();

// An exclusive advisory lock (flock) on a file, released on destruction.
// Serialises refresh-token rotation between concurrent CLI processes.
class FileLock {
 public:
  // Blocks until the lock is held. Creates the file (0600) if needed.
  static absl::StatusOr<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class ConfigDir {
 public:
  explicit ConfigDir(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  std::string File(absl::string_view name) const;

  // Creates the directory (0700) if missing.
  absl::Status Ensure() const;
  // NOT_FOUND if the file does not exist.
  absl::StatusOr<std::string> Read(absl::string_view name) const;
  // Atomic replace with mode 0600 (fsynced).
  absl::Status Write(absl::string_view name, absl::string_view contents) const;
  // OK if removed or absent.
  absl::Status Remove(absl::string_view name) const;
  bool Exists(absl::string_view name) const;
  absl::StatusOr<FileLock> Lock() const { return FileLock::Acquire(File("lock")); }

 private:
  std::string path_;
};

}  // namespace freehold::cli
