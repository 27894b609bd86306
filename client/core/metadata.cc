#include "client/core/metadata.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"

namespace freehold::client {
namespace {

constexpr uint8_t kVersion = kMetadataVersionLegacy;
constexpr std::string_view kAadPrefix = "freehold/v1/metadata";
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kPad = 64;

std::vector<uint8_t> FullAad(std::span<const uint8_t> aad, uint8_t version = kVersion) {
  std::vector<uint8_t> out(kAadPrefix.begin(), kAadPrefix.end());
  out.push_back(version);
  out.insert(out.end(), aad.begin(), aad.end());
  return out;
}

void PutU64(std::vector<uint8_t>* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

SecretBytes MetadataKey(const X25519Identity& identity) {
  if (sodium_init() < 0) std::abort();
  SecretBytes key(32);
  crypto_kdf_derive_from_key(key.data(), key.size(), 1, "FhMeta01", identity.secret().data());
  return key;
}

SecretBytes NameHashKey(const X25519Identity& identity) {
  if (sodium_init() < 0) std::abort();
  SecretBytes key(32);
  crypto_kdf_derive_from_key(key.data(), key.size(), 2, "FhName01", identity.secret().data());
  return key;
}

std::string NameHash(const SecretBytes& key, std::string_view name) {
  if (sodium_init() < 0) std::abort();
  std::string out(kNameHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(name.data()), name.size(), key.data(),
                     key.size());
  return out;
}

namespace {

bool IsCanonicalUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::span<const uint8_t> IdBytes(std::string_view id) {
  return {reinterpret_cast<const uint8_t*>(id.data()), id.size()};
}

absl::StatusOr<std::vector<uint8_t>> Seal(const SecretBytes& key, const FileMetadata& metadata,
                                          std::span<const uint8_t> aad, uint8_t version);
absl::StatusOr<FileMetadata> Open(const SecretBytes& key, std::span<const uint8_t> blob,
                                  std::span<const uint8_t> aad, uint8_t version);

}  // namespace

std::string EntryNameHash(const SecretBytes& key, std::string_view parent_id,
                          std::string_view name) {
  if (parent_id.empty()) return NameHash(key, name);
  std::string msg("freehold/v1/entry");
  msg.push_back('\0');
  msg.append(parent_id);
  msg.push_back('\0');
  msg.append(name);
  return NameHash(key, msg);
}

absl::StatusOr<std::vector<uint8_t>> SealMetadata(const SecretBytes& key,
                                                  const FileMetadata& metadata,
                                                  std::span<const uint8_t> aad) {
  return Seal(key, metadata, aad, kVersion);
}

absl::StatusOr<FileMetadata> OpenMetadata(const SecretBytes& key, std::span<const uint8_t> blob,
                                          std::span<const uint8_t> aad) {
  return Open(key, blob, aad, kVersion);
}

std::string NewObjectId() {
  if (sodium_init() < 0) std::abort();
  uint8_t b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> SealObjectMetadata(const SecretBytes& key,
                                                        const FileMetadata& metadata,
                                                        std::string_view object_id) {
  if (!IsCanonicalUuid(object_id)) {
    return absl::InvalidArgumentError("metadata: the object id must be a canonical UUID");
  }
  return Seal(key, metadata, IdBytes(object_id), kMetadataVersionBound);
}

absl::StatusOr<OpenedMetadata> OpenObjectMetadata(const SecretBytes& key,
                                                  std::span<const uint8_t> blob,
                                                  std::string_view object_id) {
  if (!IsCanonicalUuid(object_id)) {
    return absl::InvalidArgumentError("metadata: the object id must be a canonical UUID");
  }
  if (blob.empty()) return absl::InvalidArgumentError("metadata blob: empty");
  OpenedMetadata out;
  out.version = blob[0];
  absl::StatusOr<FileMetadata> m;
  if (blob[0] == kMetadataVersionBound) {
    m = Open(key, blob, IdBytes(object_id), kMetadataVersionBound);
  } else {
    m = Open(key, blob, {}, kVersion);
  }
  if (!m.ok()) return m.status();
  out.metadata = *std::move(m);
  return out;
}

ContentHasher::ContentHasher() {
  static_assert(sizeof(state_) >= sizeof(crypto_generichash_state));
  if (sodium_init() < 0) std::abort();
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0,
                          kContentHashBytes);
}

void ContentHasher::Update(std::span<const uint8_t> bytes) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), bytes.data(),
                            bytes.size());
}

std::string ContentHasher::Final() {
  std::string out(kContentHashBytes, '\0');
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_),
                           reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

namespace {

absl::StatusOr<std::vector<uint8_t>> Seal(const SecretBytes& key, const FileMetadata& metadata,
                                          std::span<const uint8_t> aad, uint8_t version) {
  if (sodium_init() < 0) std::abort();
  if (key.size() != 32) return absl::InvalidArgumentError("metadata key: must be 32 bytes");
  if (metadata.name.size() > kMaxMetadataNameBytes) {
    return absl::InvalidArgumentError("metadata name: longer than 4096 bytes");
  }
  // Encoding (little-endian): u64 size, i64 created, i64 modified,
  // u32 name length, name, [0x01, u32 mode when mode != 0], zero padding.
  std::vector<uint8_t> plain;
  PutU64(&plain, metadata.size);
  PutU64(&plain, static_cast<uint64_t>(metadata.created_unix_nanos));
  PutU64(&plain, static_cast<uint64_t>(metadata.modified_unix_nanos));
  uint32_t n = static_cast<uint32_t>(metadata.name.size());
  for (int i = 0; i < 4; ++i) plain.push_back(static_cast<uint8_t>(n >> (8 * i)));
  plain.insert(plain.end(), metadata.name.begin(), metadata.name.end());
  if (metadata.content_hash.size() != 0 && metadata.content_hash.size() != kContentHashBytes) {
    return absl::InvalidArgumentError("metadata content hash: must be 32 bytes or empty");
  }
  if (metadata.mode != 0) {
    plain.push_back(1);
    for (int i = 0; i < 4; ++i) plain.push_back(static_cast<uint8_t>(metadata.mode >> (8 * i)));
  }
  if (!metadata.content_hash.empty()) {
    plain.push_back(2);
    plain.insert(plain.end(), metadata.content_hash.begin(), metadata.content_hash.end());
  }
  plain.resize((plain.size() + kPad - 1) / kPad * kPad, 0);

  std::vector<uint8_t> blob(1 + kNonce + plain.size() + kTag);
  blob[0] = version;
  randombytes_buf(blob.data() + 1, kNonce);
  std::vector<uint8_t> full_aad = FullAad(aad, version);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(blob.data() + 1 + kNonce, &clen, plain.data(),
                                             plain.size(), full_aad.data(), full_aad.size(),
                                             nullptr, blob.data() + 1, key.data());
  sodium_memzero(plain.data(), plain.size());
  return blob;
}

absl::StatusOr<FileMetadata> Open(const SecretBytes& key, std::span<const uint8_t> blob,
                                  std::span<const uint8_t> aad, uint8_t version) {
  if (sodium_init() < 0) std::abort();
  if (key.size() != 32) return absl::InvalidArgumentError("metadata key: must be 32 bytes");
  if (blob.size() < 1 + kNonce + kTag + kPad || blob[0] != version) {
    return absl::InvalidArgumentError("metadata blob: malformed or unknown version");
  }
  SecretBytes plain(blob.size() - 1 - kNonce - kTag);
  std::vector<uint8_t> full_aad = FullAad(aad, version);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &mlen, nullptr, blob.data() + 1 + kNonce, blob.size() - 1 - kNonce,
          full_aad.data(), full_aad.size(), blob.data() + 1, key.data()) != 0) {
    return absl::PermissionDeniedError(
        "metadata blob: does not open with this key (wrong identity, altered, or another "
        "object's blob)");
  }
  const uint8_t* p = plain.data();
  FileMetadata m;
  m.size = GetU64(p);
  m.created_unix_nanos = static_cast<int64_t>(GetU64(p + 8));
  m.modified_unix_nanos = static_cast<int64_t>(GetU64(p + 16));
  uint32_t n = p[24] | (p[25] << 8) | (p[26] << 16) | (uint32_t{p[27]} << 24);
  if (n > kMaxMetadataNameBytes || 28 + n > plain.size()) {
    return absl::InvalidArgumentError("metadata blob: malformed name length");
  }
  m.name.assign(reinterpret_cast<const char*>(p + 28), n);
  // Optional fields, each a tag and a fixed length: 0x01 mode (4), 0x02
  // content hash (32); a zero tag (padding) or an unknown one ends them.
  size_t at = 28 + n;
  if (at + 5 <= plain.size() && p[at] == 1) {
    const uint8_t* q = p + at + 1;
    m.mode = q[0] | (q[1] << 8) | (q[2] << 16) | (uint32_t{q[3]} << 24);
    at += 5;
  }
  if (at + 1 + kContentHashBytes <= plain.size() && p[at] == 2) {
    m.content_hash.assign(reinterpret_cast<const char*>(p + at + 1), kContentHashBytes);
  }
  return m;
}

}  // namespace
}  // namespace freehold::client
