#include "client/core/share_record.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/core/age_file.h"

namespace freehold::client {
namespace {

constexpr std::string_view kAadPrefix = "freehold/v1/share-record";
constexpr std::string_view kFirstLine = "freehold-share-record v1";
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kMaxRecordBytes = 60 * 1024;  // the coordinator keeps at most 64 KiB

bool IsCanonicalUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A field of a line: 1..200 visible ASCII characters.
bool IsField(std::string_view f) {
  if (f.empty() || f.size() > 200) return false;
  return std::all_of(f.begin(), f.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// `text` cut at every `sep` (empty pieces kept).
std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

std::vector<uint8_t> FullAad(std::string_view object_id) {
  std::vector<uint8_t> out(kAadPrefix.begin(), kAadPrefix.end());
  out.push_back(kShareRecordVersion);
  out.insert(out.end(), object_id.begin(), object_id.end());
  return out;
}

}  // namespace

SecretBytes ShareRecordKey(const X25519Identity& identity) {
  if (sodium_init() < 0) std::abort();
  SecretBytes key(32);
  crypto_kdf_derive_from_key(key.data(), key.size(), 3, "FhShar01", identity.secret().data());
  return key;
}

absl::StatusOr<std::vector<uint8_t>> SealShareRecord(const SecretBytes& key,
                                                     const ShareRecord& record,
                                                     std::string_view object_id) {
  if (sodium_init() < 0) std::abort();
  if (key.size() != 32) return absl::InvalidArgumentError("share record key: must be 32 bytes");
  if (!IsCanonicalUuid(object_id)) {
    return absl::InvalidArgumentError("share record: the object id must be a canonical UUID");
  }
  std::string text = std::string(kFirstLine) + "\n";
  for (size_t i = 0; i < record.entries.size(); ++i) {
    const ShareEntry& e = record.entries[i];
    const bool account = e.kind == ShareEntry::Kind::kAccount;
    const std::string handle = account ? e.handle : "-";
    const std::string account_id = account ? e.account_id : "-";
    if (!IsField(handle) || !IsField(account_id) || !IsField(e.public_key) ||
        !IsField(e.stanza_share)) {
      return absl::InvalidArgumentError(
          absl::StrCat("share record: entry ", i, " has an empty or malformed field"));
    }
    absl::StrAppend(&text, account ? "account " : "link ", handle, " ", account_id, " ",
                    e.public_key, " ", e.stanza_share, "\n");
  }
  if (text.size() > kMaxRecordBytes) {
    return absl::InvalidArgumentError("share record: too many recipients for one object");
  }
  std::vector<uint8_t> blob(1 + kNonce + text.size() + kTag);
  blob[0] = kShareRecordVersion;
  randombytes_buf(blob.data() + 1, kNonce);
  const std::vector<uint8_t> aad = FullAad(object_id);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      blob.data() + 1 + kNonce, &clen, reinterpret_cast<const uint8_t*>(text.data()), text.size(),
      aad.data(), aad.size(), nullptr, blob.data() + 1, key.data());
  return blob;
}

absl::StatusOr<ShareRecord> OpenShareRecord(const SecretBytes& key, std::span<const uint8_t> blob,
                                            std::string_view object_id) {
  if (sodium_init() < 0) std::abort();
  if (key.size() != 32) return absl::InvalidArgumentError("share record key: must be 32 bytes");
  if (!IsCanonicalUuid(object_id)) {
    return absl::InvalidArgumentError("share record: the object id must be a canonical UUID");
  }
  if (blob.empty()) return ShareRecord{};
  if (blob.size() < 1 + kNonce + kTag || blob[0] != kShareRecordVersion) {
    return absl::InvalidArgumentError("share record: malformed or unknown version");
  }
  std::string text(blob.size() - 1 - kNonce - kTag, '\0');
  const std::vector<uint8_t> aad = FullAad(object_id);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<uint8_t*>(text.data()), &mlen, nullptr, blob.data() + 1 + kNonce,
          blob.size() - 1 - kNonce, aad.data(), aad.size(), blob.data() + 1, key.data()) != 0) {
    return absl::PermissionDeniedError(
        "share record: does not open with this key (wrong identity, altered, or another "
        "object's record)");
  }
  const std::vector<std::string> lines = Split(text, '\n');
  if (lines.size() < 2 || lines.front() != kFirstLine || !lines.back().empty()) {
    return absl::InvalidArgumentError("share record: malformed text");
  }
  ShareRecord record;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    const std::vector<std::string> f = Split(lines[i], ' ');
    if (f.size() != 5 || (f[0] != "account" && f[0] != "link") ||
        !std::all_of(f.begin() + 1, f.end(), [](const std::string& x) { return IsField(x); })) {
      return absl::InvalidArgumentError(absl::StrCat("share record: line ", i + 1, " is malformed"));
    }
    ShareEntry e;
    e.kind = f[0] == "account" ? ShareEntry::Kind::kAccount : ShareEntry::Kind::kLink;
    if (e.kind == ShareEntry::Kind::kAccount) {
      e.handle = f[1];
      e.account_id = f[2];
    }
    e.public_key = f[3];
    e.stanza_share = f[4];
    record.entries.push_back(std::move(e));
  }
  return record;
}

absl::StatusOr<std::string> LastStanzaShare(const AgeHeader& header) {
  if (header.stanzas.empty() || header.stanzas.back().type != "X25519" ||
      header.stanzas.back().args.size() != 1) {
    return absl::InvalidArgumentError("age header: the last stanza is not an X25519 stanza");
  }
  return header.stanzas.back().args[0];
}

absl::StatusOr<AgeHeader> RemoveStanzas(const AgeHeader& header,
                                        std::span<const AgeIdentity* const> opener,
                                        const std::vector<std::string>& shares, int* removed) {
  absl::StatusOr<SecretBytes> file_key = UnwrapFileKey(header, opener);
  if (!file_key.ok()) return file_key.status();
  AgeHeader out;
  int count = 0;
  for (const Stanza& s : header.stanzas) {
    const bool drop = s.type == "X25519" && s.args.size() == 1 &&
                      std::find(shares.begin(), shares.end(), s.args[0]) != shares.end();
    if (drop) {
      ++count;
    } else {
      out.stanzas.push_back(s);
    }
  }
  out.mac = ComputeHeaderMac(*file_key, out);
  if (out.stanzas.empty() || !UnwrapFileKey(out, opener).ok()) {
    return absl::FailedPreconditionError(
        "removing these stanzas would remove the owner's own: refused");
  }
  if (removed != nullptr) *removed = count;
  return out;
}

}  // namespace freehold::client
