#include "services/accounts/core/token_keyring.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/encoding.h"
#include "common/status.h"
#include "services/accounts/core/internal/absl_view.h"

namespace freehold::accounts {
namespace {

namespace fs = std::filesystem;

std::string KeyDir(const std::string& data_dir) { return data_dir + "/token-keys"; }
std::string RingPath(const std::string& dir) { return dir + "/keyring"; }
std::string KeyPath(const std::string& dir, const std::string& id) {
  return absl::StrCat(dir, "/", id, ".key");
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
    out << contents;
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("write failed: ", tmp));
  }
  if (::chmod(tmp.c_str(), mode) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot chmod ", tmp, ": ", strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadRing(const std::string& dir) {
  std::ifstream in(RingPath(dir));
  if (!in) return std::vector<std::string>{};
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view id = internal::SV(absl::StripAsciiWhitespace(line));
    if (id.empty()) continue;
    if (!IsValidKeyId(id)) {
      return absl::InvalidArgumentError(absl::StrCat(RingPath(dir), ": bad key id line"));
    }
    ids.emplace_back(id);
  }
  return ids;
}

absl::Status WriteRing(const std::string& dir, const std::vector<std::string>& ids) {
  std::string text;
  for (const auto& id : ids) absl::StrAppend(&text, id, "\n");
  return WriteFileAtomically(RingPath(dir), text, 0600);
}

absl::Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  ::chmod(dir.c_str(), 0700);
  return absl::OkStatus();
}

absl::StatusOr<std::string> AddKey(const std::string& dir, std::vector<std::string>& ids) {
  FH_ASSIGN_OR_RETURN(SigningKey key, GenerateSigningKey());
  FH_RETURN_IF_ERROR(SaveSigningKey(key, KeyPath(dir, key.key_id)));
  ids.insert(ids.begin(), key.key_id);
  return key.key_id;
}

}  // namespace

TokenKeyring::TokenKeyring(SigningKey signing, std::vector<PublicKey> public_keys)
    : signer_(std::move(signing)), verifier_(public_keys), public_keys_(std::move(public_keys)) {}

absl::StatusOr<std::unique_ptr<TokenKeyring>> TokenKeyring::OpenOrCreate(
    const std::string& data_dir) {
  const std::string dir = KeyDir(data_dir);
  FH_RETURN_IF_ERROR(EnsureDir(dir));
  FH_ASSIGN_OR_RETURN(std::vector<std::string> ids, ReadRing(dir));
  if (ids.empty()) {
    FH_RETURN_IF_ERROR(AddKey(dir, ids).status());
    FH_RETURN_IF_ERROR(WriteRing(dir, ids));
  }
  std::vector<PublicKey> publics;
  std::optional<SigningKey> signing;
  for (const auto& id : ids) {
    absl::StatusOr<SigningKey> key = LoadSigningKey(KeyPath(dir, id));
    if (!key.ok()) return Annotate(key.status(), "token keyring");
    if (key->key_id != id) {
      return absl::InvalidArgumentError(
          absl::StrCat(KeyPath(dir, id), ": key id does not match its file name"));
    }
    publics.push_back(key->Public());
    if (!signing) signing = *key;
  }
  return std::unique_ptr<TokenKeyring>(new TokenKeyring(*signing, std::move(publics)));
}

absl::StatusOr<std::string> TokenKeyring::Rotate(const std::string& data_dir, int max_keys) {
  if (max_keys < 2) return absl::InvalidArgumentError("--max-token-keys: must be >= 2");
  const std::string dir = KeyDir(data_dir);
  FH_RETURN_IF_ERROR(EnsureDir(dir));
  FH_ASSIGN_OR_RETURN(std::vector<std::string> ids, ReadRing(dir));
  FH_ASSIGN_OR_RETURN(std::string id, AddKey(dir, ids));
  std::vector<std::string> dropped;
  while (static_cast<int>(ids.size()) > max_keys) {
    dropped.push_back(ids.back());
    ids.pop_back();
  }
  FH_RETURN_IF_ERROR(WriteRing(dir, ids));
  for (const auto& old : dropped) std::remove(KeyPath(dir, old).c_str());
  return id;
}

std::string FormatVerificationKeys(const std::vector<PublicKey>& keys) {
  std::string out;
  for (const auto& k : keys) {
    absl::StrAppend(
        &out, "ed25519 ", k.key_id, " ",
        Base64Encode(std::string_view(reinterpret_cast<const char*>(k.key.data()), k.key.size())),
        "\n");
  }
  return out;
}

absl::StatusOr<std::vector<PublicKey>> ParseVerificationKeys(std::string_view text) {
  std::vector<PublicKey> keys;
  int line_no = 0;
  for (absl::string_view raw_line : absl::StrSplit(internal::AV(text), '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw_line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("verification keys line ", line_no, ": ", internal::AV(why)));
    };
    if (parts.size() != 3 || parts[0] != "ed25519") return bad("want 'ed25519 <key_id> <base64>'");
    if (!IsValidKeyId(internal::SV(parts[1]))) return bad("bad key id");
    absl::StatusOr<std::string> raw = Base64Decode(internal::SV(parts[2]));
    if (!raw.ok() || raw->size() != 32) return bad("public key must be 32 bytes of base64");
    PublicKey k;
    k.key_id = std::string(parts[1]);
    std::memcpy(k.key.data(), raw->data(), 32);
    keys.push_back(std::move(k));
  }
  return keys;
}

absl::Status WriteVerificationKeysFile(const std::vector<PublicKey>& keys,
                                       const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
  }
  return WriteFileAtomically(path, FormatVerificationKeys(keys), 0644);
}

}  // namespace freehold::accounts
