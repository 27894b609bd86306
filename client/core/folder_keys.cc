#include "client/core/folder_keys.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/core/age_recipients.h"
#include "client/core/internal/hkdf.h"

namespace freehold::client {
namespace {

constexpr std::string_view kContext = "freehold/v1/folder-wrap";
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kFixed = 1 + kFileKeyBytes + 4;

bool IsCanonicalUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

SecretBytes WrapKey(const SecretBytes& folder_key) {
  return internal::HkdfSha256(folder_key.span(), {}, kContext, 32);
}

std::string Aad(std::string_view parent_id, std::string_view entry_id) {
  std::string aad(kContext);
  aad.push_back(static_cast<char>(kEntryWrapVersion));
  aad.append(parent_id);
  aad.append(entry_id);
  return aad;
}

absl::Status CheckPlace(const SecretBytes& folder_key, std::string_view parent_id,
                        std::string_view entry_id) {
  if (folder_key.size() != kFileKeyBytes) {
    return absl::InvalidArgumentError("entry wrap: the folder key must be 16 bytes");
  }
  if (!IsCanonicalUuid(parent_id) || !IsCanonicalUuid(entry_id)) {
    return absl::InvalidArgumentError("entry wrap: ids must be canonical UUIDs");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> SealEntryWrap(const SecretBytes& folder_key,
                                                   std::string_view parent_id,
                                                   std::string_view entry_id,
                                                   const EntryWrap& entry) {
  if (sodium_init() < 0) std::abort();
  if (absl::Status s = CheckPlace(folder_key, parent_id, entry_id); !s.ok()) return s;
  if (entry.key.size() != kFileKeyBytes) {
    return absl::InvalidArgumentError("entry wrap: the entry key must be 16 bytes");
  }
  if (entry.name.empty() || entry.name.size() > kMaxEntryName ||
      entry.name.find('/') != std::string::npos || entry.name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "entry wrap: the name must be 1..4096 bytes without '/' or NUL");
  }
  const size_t used = kFixed + entry.name.size();
  SecretBytes plain((used + 63) / 64 * 64);
  std::memset(plain.data(), 0, plain.size());
  plain.data()[0] = entry.is_folder ? 2 : 1;
  std::memcpy(plain.data() + 1, entry.key.data(), kFileKeyBytes);
  const uint32_t n = static_cast<uint32_t>(entry.name.size());
  for (int i = 0; i < 4; ++i) plain.data()[1 + kFileKeyBytes + i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(plain.data() + kFixed, entry.name.data(), entry.name.size());
  std::vector<uint8_t> out(1 + kNonce + plain.size() + kTag);
  out[0] = kEntryWrapVersion;
  randombytes_buf(out.data() + 1, kNonce);
  const std::string aad = Aad(parent_id, entry_id);
  const SecretBytes key = WrapKey(folder_key);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.data() + 1 + kNonce, &len, plain.data(), plain.size(),
      reinterpret_cast<const uint8_t*>(aad.data()), aad.size(), nullptr, out.data() + 1,
      key.data());
  return out;
}

absl::StatusOr<EntryWrap> OpenEntryWrap(const SecretBytes& folder_key,
                                        std::span<const uint8_t> wrap,
                                        std::string_view parent_id, std::string_view entry_id) {
  if (sodium_init() < 0) std::abort();
  if (absl::Status s = CheckPlace(folder_key, parent_id, entry_id); !s.ok()) return s;
  if (wrap.size() < 1 + kNonce + kTag + 64 || wrap[0] != kEntryWrapVersion) {
    return absl::DataLossError("entry wrap: malformed (too short or unknown version)");
  }
  SecretBytes plain(wrap.size() - 1 - kNonce - kTag);
  const std::string aad = Aad(parent_id, entry_id);
  const SecretBytes key = WrapKey(folder_key);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &len, nullptr, wrap.data() + 1 + kNonce, wrap.size() - 1 - kNonce,
          reinterpret_cast<const uint8_t*>(aad.data()), aad.size(), wrap.data() + 1,
          key.data()) != 0) {
    return absl::DataLossError(
        "entry wrap: does not open with this folder's key at this place (altered or moved)");
  }
  const uint8_t kind = plain.data()[0];
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(plain.data()[1 + kFileKeyBytes + i]) << (8 * i);
  if ((kind != 1 && kind != 2) || n == 0 || n > kMaxEntryName || kFixed + n > plain.size()) {
    return absl::DataLossError("entry wrap: malformed plaintext");
  }
  EntryWrap out;
  out.is_folder = kind == 2;
  out.key = SecretBytes::CopyOf(std::span<const uint8_t>(plain.data() + 1, kFileKeyBytes));
  out.name.assign(reinterpret_cast<const char*>(plain.data() + kFixed), n);
  if (out.name.find('/') != std::string::npos || out.name.find('\0') != std::string::npos) {
    return absl::DataLossError("entry wrap: the name holds '/' or NUL");
  }
  return out;
}

}  // namespace freehold::client
