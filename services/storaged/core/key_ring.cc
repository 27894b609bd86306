#include "services/storaged/core/key_ring.h"

#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/status.h"
#include "services/storaged/core/internal/files.h"
#include "services/storaged/core/internal/sv.h"

namespace freehold::storaged {
namespace {

constexpr size_t kMaxKeyFileBytes = 1 << 20;

absl::StatusOr<PublicKey> ParseTeamFormat(std::string_view line) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(internal::Sv(line), absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (parts.size() != 3 || parts[0] != "ed25519") {
    return absl::InvalidArgumentError("expected 'ed25519 <key_id> <base64 public key>'");
  }
  if (!IsValidKeyId(internal::StdSv(parts[1]))) {
    return absl::InvalidArgumentError("key id must be 1..64 characters of [A-Za-z0-9_-]");
  }
  absl::StatusOr<std::string> raw = Base64Decode(internal::StdSv(parts[2]));
  if (!raw.ok()) raw = Base64UrlDecode(internal::StdSv(parts[2]));
  if (!raw.ok()) return absl::InvalidArgumentError("public key is not valid base64");
  if (raw->size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("public key is ", raw->size(), " bytes; Ed25519 keys are 32"));
  }
  PublicKey key;
  key.key_id = std::string(parts[1]);
  std::copy(raw->begin(), raw->end(), key.key.begin());
  return key;
}

}  // namespace

absl::StatusOr<std::vector<PublicKey>> ParsePublicKeyFile(std::string_view text,
                                                          std::string_view source) {
  std::vector<PublicKey> keys;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(internal::Sv(text), '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    absl::StatusOr<PublicKey> key = absl::StartsWith(line, "fh-ed25519-public:")
                                        ? ParsePublicKey(internal::StdSv(line))
                                        : ParseTeamFormat(internal::StdSv(line));
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(internal::Sv(source), " line ", line_number, ": ", key.status().message()));
    }
    keys.push_back(*std::move(key));
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(internal::Sv(source), " holds no public key"));
  }
  return keys;
}

std::string FormatPublicKeyFile(const std::vector<PublicKey>& keys) {
  std::string out;
  for (const PublicKey& key : keys) {
    absl::StrAppend(&out, "ed25519 ", key.key_id, " ",
                    Base64Encode(std::string_view(reinterpret_cast<const char*>(key.key.data()),
                                                  key.key.size())),
                    "\n");
  }
  return out;
}

CoordinatorKeyRing::CoordinatorKeyRing(const std::vector<PublicKey>& keys)
    : verifier_(std::make_shared<TokenVerifier>(keys)), key_count_(keys.size()) {}

CoordinatorKeyRing::CoordinatorKeyRing(std::string path, std::vector<PublicKey> keys,
                                       FileStamp stamp)
    : path_(std::move(path)),
      verifier_(std::make_shared<TokenVerifier>(keys)),
      key_count_(keys.size()),
      stamp_(stamp) {}

absl::StatusOr<CoordinatorKeyRing::FileStamp> CoordinatorKeyRing::Stat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return internal::ErrnoStatus(errno, "stat", path);
  FileStamp stamp;
  stamp.inode = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

absl::StatusOr<std::unique_ptr<CoordinatorKeyRing>> CoordinatorKeyRing::Load(std::string path) {
  FH_ASSIGN_OR_RETURN(FileStamp stamp, Stat(path));
  FH_ASSIGN_OR_RETURN(std::string text, internal::ReadSmallFile(path, kMaxKeyFileBytes));
  FH_ASSIGN_OR_RETURN(std::vector<PublicKey> keys, ParsePublicKeyFile(text, path));
  return std::unique_ptr<CoordinatorKeyRing>(
      new CoordinatorKeyRing(std::move(path), std::move(keys), stamp));
}

std::shared_ptr<const TokenVerifier> CoordinatorKeyRing::verifier() const {
  absl::MutexLock lock(&mu_);
  return verifier_;
}

size_t CoordinatorKeyRing::key_count() const {
  absl::MutexLock lock(&mu_);
  return key_count_;
}

absl::Status CoordinatorKeyRing::Reload() {
  if (path_.empty()) return absl::OkStatus();
  FH_ASSIGN_OR_RETURN(FileStamp stamp, Stat(path_));
  FH_ASSIGN_OR_RETURN(std::string text, internal::ReadSmallFile(path_, kMaxKeyFileBytes));
  FH_ASSIGN_OR_RETURN(std::vector<PublicKey> keys, ParsePublicKeyFile(text, path_));
  auto verifier = std::make_shared<TokenVerifier>(keys);
  absl::MutexLock lock(&mu_);
  verifier_ = std::move(verifier);
  key_count_ = keys.size();
  stamp_ = stamp;
  return absl::OkStatus();
}

absl::StatusOr<bool> CoordinatorKeyRing::ReloadIfChanged() {
  if (path_.empty()) return false;
  FH_ASSIGN_OR_RETURN(FileStamp stamp, Stat(path_));
  {
    absl::MutexLock lock(&mu_);
    if (stamp == stamp_) return false;
  }
  absl::Status s = Reload();
  if (!s.ok()) {
    // Remember the broken version so it is reported once, not on every poll.
    absl::MutexLock lock(&mu_);
    stamp_ = stamp;
    return s;
  }
  return true;
}

}  // namespace freehold::storaged
