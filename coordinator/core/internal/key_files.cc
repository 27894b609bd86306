#include "coordinator/core/internal/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"

namespace freehold::coordinator::internal {

absl::StatusOr<std::vector<PublicKey>> ParsePublicKeysText(absl::string_view text,
                                                           absl::string_view source) {
  std::vector<PublicKey> keys;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    if (absl::StartsWith(line, "fh-ed25519-public:")) {
      absl::StatusOr<PublicKey> key = ParsePublicKey(std::string(line));
      if (!key.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, " line ", line_no, ": ", key.status().message()));
      }
      keys.push_back(*key);
      continue;
    }
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (parts.size() != 3 || parts[0] != "ed25519" || !IsValidKeyId(std::string(parts[1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, " line ", line_no, ": expected \"ed25519 <key_id> <base64 public key>\""));
    }
    absl::StatusOr<std::string> bytes = Base64Decode(std::string(parts[2]));
    if (!bytes.ok()) bytes = Base64UrlDecode(std::string(parts[2]));
    if (!bytes.ok() || bytes->size() != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, " line ", line_no, ": public key is not 32 bytes of base64"));
    }
    PublicKey key;
    key.key_id = std::string(parts[1]);
    std::memcpy(key.key.data(), bytes->data(), 32);
    keys.push_back(key);
  }
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(source, " holds no key"));
  return keys;
}

absl::StatusOr<std::vector<PublicKey>> LoadPublicKeysFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read key file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParsePublicKeysText(buffer.str(), path);
}

std::string FormatPublicKeyLine(const PublicKey& key) {
  return absl::StrCat("ed25519 ", key.key_id, " ",
                      Base64Encode(std::string_view(reinterpret_cast<const char*>(key.key.data()),
                                                    key.key.size())));
}

absl::Status WritePublicKeysFile(const std::string& path, const std::vector<PublicKey>& keys) {
  std::string text;
  for (const PublicKey& key : keys) absl::StrAppend(&text, FormatPublicKeyLine(key), "\n");
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  ::fchmod(fd, 0644);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace freehold::coordinator::internal
