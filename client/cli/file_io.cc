#include "client/cli/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace freehold::cli {
namespace {
constexpr size_t kOutputBuffer = 1 << 20;
constexpr size_t kDirectWrite = 32 << 10;
}  // namespace

absl::Status FileError(int err, absl::string_view what, const std::string& path) {
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(what, " ", path, ": no such file or directory"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(absl::StrCat(
          msg, " (the local disk is full: free some space or write elsewhere with -o)"));
    case EISDIR:
      return absl::FailedPreconditionError(absl::StrCat(path, " is a directory"));
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<std::unique_ptr<InputFile>> InputFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return FileError(err, "cannot stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is a directory: put takes one regular file"));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a regular file: put needs its size in advance"));
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  LocalFileInfo info;
  info.size = static_cast<uint64_t>(st.st_size);
  info.modified_unix_nanos =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return std::unique_ptr<InputFile>(new InputFile(fd, path, info));
}

InputFile::~InputFile() { ::close(fd_); }

absl::StatusOr<size_t> InputFile::Read(std::span<uint8_t> out) {
  if (out.empty()) return 0;
  const uint64_t left = info_.size - read_;
  if (left == 0) {
    uint8_t probe;
    ssize_t n;
    do {
      n = ::read(fd_, &probe, 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return FileError(errno, "cannot read", path_);
    if (n > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path_, " grew while it was being uploaded; nothing was stored"));
    }
    return 0;
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), left));
  ssize_t n;
  do {
    n = ::read(fd_, out.data(), want);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return FileError(errno, "cannot read", path_);
  if (n == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " shrank while it was being uploaded; nothing was stored"));
  }
  read_ += static_cast<uint64_t>(n);
  return static_cast<size_t>(n);
}

absl::Status InputFile::ReadAtOffset(uint64_t offset, std::span<uint8_t> out) {
  if (offset > info_.size || out.size() > info_.size - offset) {
    return absl::OutOfRangeError(absl::StrCat("read past the end of ", path_));
  }
  while (!out.empty()) {
    const ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(errno, "cannot read", path_);
    }
    if (n == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path_, " shrank while it was being uploaded; nothing was stored"));
    }
    out = out.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

absl::Status InputFile::CheckUnchanged() {
  uint8_t probe;
  ssize_t n;
  do {
    n = ::pread(fd_, &probe, 1, static_cast<off_t>(info_.size));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return FileError(errno, "cannot read", path_);
  if (n > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " grew while it was being uploaded; nothing was stored"));
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) return FileError(errno, "cannot stat", path_);
  if (static_cast<uint64_t>(st.st_size) < info_.size) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " shrank while it was being uploaded; nothing was stored"));
  }
  // Rewritten in place at the same size: chunks read at different times may disagree
  // (a chunk across a segment boundary is read once per segment), so refuse.
  const int64_t modified =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (modified != info_.modified_unix_nanos) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " was modified while it was being uploaded; nothing was stored"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<OutputFile>(new OutputFile(STDOUT_FILENO, "standard output", "", false));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is a directory: give a file name with -o"));
    }
    // A device or pipe: write to it directly.
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return FileError(errno, "cannot open", path);
    return std::unique_ptr<OutputFile>(new OutputFile(fd, path, "", true));
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp =
      // At most 200 bytes of the name: a 255-byte name still leaves room (NAME_MAX).
      absl::StrCat(slash == std::string::npos ? "" : dir, ".", base.substr(0, 200),
                   ".freehold-partial-XXXXXX");
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return FileError(errno, "cannot create a file in", dir);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  return std::unique_ptr<OutputFile>(new OutputFile(fd, path, temp, true));
}

OutputFile::~OutputFile() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

absl::Status OutputFile::Flush() {
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(errno, "cannot write", path_);
    }
    off += static_cast<size_t>(n);
  }
  buf_.clear();
  return absl::OkStatus();
}

absl::Status OutputFile::Write(std::span<const uint8_t> data) {
  if (committed_) return absl::FailedPreconditionError("output already committed");
  written_ += data.size();
  if (buf_.size() + data.size() > kOutputBuffer) {
    if (absl::Status s = Flush(); !s.ok()) return s;
  }
  if (data.size() < kDirectWrite) {  // gather small writes
    buf_.insert(buf_.end(), data.begin(), data.end());
    return absl::OkStatus();
  }
  if (absl::Status s = Flush(); !s.ok()) return s;
  while (!data.empty()) {  // large writes go straight to the file, no copy
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(errno, "cannot write", path_);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status OutputFile::Commit() {
  if (absl::Status s = Flush(); !s.ok()) return s;
  if (!temp_.empty()) {
    if (::close(fd_) != 0) {
      fd_ = -1;
      return FileError(errno, "cannot write", path_);
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), path_.c_str()) != 0)
      return FileError(errno, "cannot create", path_);
  } else if (owns_fd_) {
    if (::close(fd_) != 0) {
      fd_ = -1;
      return FileError(errno, "cannot write", path_);
    }
    fd_ = -1;
  }
  committed_ = true;
  return absl::OkStatus();
}

}  // namespace freehold::cli
