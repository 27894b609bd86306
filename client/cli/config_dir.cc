#include "client/cli/config_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace freehold::cli {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int err = errno;
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(msg);
  return absl::InternalError(msg);
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> DefaultConfigDir() {
  if (const char* dir = std::getenv("FREEHOLD_CONFIG_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir);
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/freehold");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.config/freehold");
  }
  return absl::FailedPreconditionError(
      "no configuration directory: set FREEHOLD_CONFIG_DIR or HOME");
}

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open lock file", path);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    absl::Status s = Errno("cannot lock", path);
    ::close(fd);
    return s;
  }
  return FileLock(fd);
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

std::string ConfigDir::File(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

absl::Status ConfigDir::Ensure() const {
  // Create parents as needed (like mkdir -p), the last one 0700.
  std::string partial;
  for (size_t i = 0; i <= path_.size(); ++i) {
    if (i == path_.size() || (path_[i] == '/' && i > 0)) {
      partial = path_.substr(0, i);
      const mode_t mode = i == path_.size() ? 0700 : 0755;
      if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
        return Errno("cannot create directory", partial);
      }
    }
  }
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return Errno("cannot stat", path_);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path_, " is not a directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ConfigDir::Read(absl::string_view name) const {
  const std::string path = File(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot read", path);
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = Errno("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

absl::Status ConfigDir::Write(absl::string_view name, absl::string_view contents) const {
  if (absl::Status s = Ensure(); !s.ok()) return s;
  const std::string path = File(name);
  std::string tmp = absl::StrCat(path, ".tmp-XXXXXX");
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Errno("cannot create", tmp);
  bool ok = ::fchmod(fd, 0600) == 0 && WriteAll(fd, contents) && ::fsync(fd) == 0;
  absl::Status s = ok ? absl::OkStatus() : Errno("cannot write", tmp);
  if (::close(fd) != 0 && s.ok()) s = Errno("cannot write", tmp);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Errno("cannot replace", path);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

absl::Status ConfigDir::Remove(absl::string_view name) const {
  const std::string path = File(name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", path);
  return absl::OkStatus();
}

bool ConfigDir::Exists(absl::string_view name) const {
  return ::access(File(name).c_str(), F_OK) == 0;
}

}  // namespace freehold::cli
