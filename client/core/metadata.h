// Encrypted file metadata (name, size, times): the server stores only opaque
// blobs.
//
//   key  = crypto_kdf_derive_from_key(32, id = 1, ctx = "FhMeta01",
//                                     master = identity secret scalar)
//   blob = 0x01 || nonce24 || XChaCha20-Poly1305(key, padded encoding,
//                     aad = "freehold/v1/metadata" || 0x01 || caller aad)
// The plaintext is padded to a multiple of 64 bytes so blob sizes leak little
// about name lengths. Pass the object id as `aad` to bind a blob to its
// object (a server cannot swap blobs between objects).
// Thread-safe free functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

struct FileMetadata {
  std::string name;
  uint64_t size = 0;
  int64_t created_unix_nanos = 0;
  int64_t modified_unix_nanos = 0;
  // Permission bits (st_mode & 07777); 0 = not recorded. Encoded after the name
  // as 0x01 || u32 mode only when non-zero, so blobs without it are unchanged.
  uint32_t mode = 0;
  // BLAKE2b-256 of the plaintext (32 bytes), or empty = not recorded (`freehold
  // sync --checksum` records it; docs/ARCHITECTURE.md#sync). Encoded after the
  // mode as 0x02 || 32 bytes only when present; readers that predate it stop at
  // the tag they do not know, so blobs stay readable both ways.
  std::string content_hash;
  bool operator==(const FileMetadata&) const = default;
};

inline constexpr size_t kMaxMetadataNameBytes = 4096;
inline constexpr size_t kContentHashBytes = 32;

// BLAKE2b-256 (crypto_generichash, unkeyed) of a whole plaintext, as recorded in
// FileMetadata::content_hash. Use ContentHasher for streams.
class ContentHasher {
 public:
  ContentHasher();
  void Update(std::span<const uint8_t> bytes);
  std::string Final();  // kContentHashBytes bytes; call once

 private:
  alignas(64) unsigned char state_[384];
};

// The 32-byte metadata key of an identity.
SecretBytes MetadataKey(const X25519Identity& identity);

// Name lookup without listing (docs/ARCHITECTURE.md#small-objects):
//   key  = crypto_kdf_derive_from_key(32, id = 2, ctx = "FhName01", identity secret)
//   hash = BLAKE2b-256(name, key)   (crypto_generichash, keyed)
// The server indexes the hash; without the key it cannot test guessed names.
inline constexpr size_t kNameHashBytes = 32;
SecretBytes NameHashKey(const X25519Identity& identity);
// The 32-byte keyed hash of `name`; `key` must be 32 bytes (NameHashKey).
std::string NameHash(const SecretBytes& key, std::string_view name);

// Folders (docs/ARCHITECTURE.md#folders): the keyed hash of a (parent, name)
// pair, with the same key:
//   root:     NameHash(key, name)   (so objects stored before folders resolve)
//   folder P: BLAKE2b-256("freehold/v1/entry" || 0x00 || P || 0x00 || name, key)
// where P is the folder id as a canonical lower-case UUID with dashes (36 ASCII
// bytes; a fixed length, so the encoding is unambiguous).
std::string EntryNameHash(const SecretBytes& key, std::string_view parent_id,
                          std::string_view name);

// Version 1 (the format of objects stored before metadata was bound to its
// object; still read, and migrated by the CLI when it meets one).
// INVALID_ARGUMENT if the key is not 32 bytes or the name is longer than
// kMaxMetadataNameBytes.
absl::StatusOr<std::vector<uint8_t>> SealMetadata(const SecretBytes& key,
                                                  const FileMetadata& metadata,
                                                  std::span<const uint8_t> aad = {});
// INVALID_ARGUMENT on a malformed blob or unknown version; PERMISSION_DENIED
// if it does not open with this key and aad (wrong key, altered, or swapped).
absl::StatusOr<FileMetadata> OpenMetadata(const SecretBytes& key, std::span<const uint8_t> blob,
                                          std::span<const uint8_t> aad = {});

// Version 2, bound to its object (docs/PROTOCOL.md 5.7):
//   blob = 0x02 || nonce24 || XChaCha20-Poly1305(key, padded encoding,
//            aad = "freehold/v1/metadata" || 0x02 || object id (36 ASCII bytes,
//                  canonical lower-case UUID with dashes))
// The plaintext encoding is that of version 1. A server that swaps the blobs
// of two objects is detected: the blob does not open with the other id.
inline constexpr uint8_t kMetadataVersionLegacy = 1;
inline constexpr uint8_t kMetadataVersionBound = 2;

// INVALID_ARGUMENT as SealMetadata, or if `object_id` is not a canonical UUID.
absl::StatusOr<std::vector<uint8_t>> SealObjectMetadata(const SecretBytes& key,
                                                        const FileMetadata& metadata,
                                                        std::string_view object_id);

// A fresh random (version 4) object id, canonical form: the client chooses
// it so that the metadata can be sealed to it before CreateObject.
std::string NewObjectId();

struct OpenedMetadata {
  FileMetadata metadata;
  uint8_t version = 0;  // kMetadataVersionLegacy: not bound; re-seal it (migration)
};
// Opens a version 1 blob (empty aad) or a version 2 blob bound to `object_id`
// (canonical UUID). INVALID_ARGUMENT on a malformed blob or unknown version;
// PERMISSION_DENIED if it does not open (wrong key, altered, or, for version
// 2, another object's blob).
absl::StatusOr<OpenedMetadata> OpenObjectMetadata(const SecretBytes& key,
                                                  std::span<const uint8_t> blob,
                                                  std::string_view object_id);

}  // namespace freehold::client
