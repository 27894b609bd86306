// Folder keys (docs/PROTOCOL.md 9.3): every entry of a keyed folder carries its
// own key and name sealed under the folder's key (an "entry wrap"), so whoever
// holds a folder's key can open exactly that folder's subtree, and nothing
// else. A folder key is the 16-byte "file key" of an age header (5.2), which
// wraps it for the owner and every recipient as a file's header does.
//
//   wrap_key  = HKDF-SHA256(ikm = folder key, salt = empty,
//                           info = "freehold/v1/folder-wrap", length 32)
//   wrap      = 0x01 || nonce (24 random bytes) || XChaCha20-Poly1305(wrap_key, nonce,
//                 plaintext = kind (0x01 file, 0x02 folder) || key (16 bytes)
//                             || u32 LE name length || name || zero padding to a multiple of 64,
//                 associated data = "freehold/v1/folder-wrap" || 0x01 || parent id || entry id)
//
// Ids are canonical lower-case UUIDs (36 ASCII bytes each), so the wrap is
// bound to its place: a server cannot move it to another entry or folder.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

inline constexpr uint8_t kEntryWrapVersion = 1;
inline constexpr size_t kMaxEntryName = 4096;

struct EntryWrap {
  bool is_folder = false;
  SecretBytes key;   // the file key, or the folder key (16 bytes)
  std::string name;  // one path component
};

// INVALID_ARGUMENT for a key that is not 16 bytes, a name empty / over
// kMaxEntryName / holding '/' or NUL, or ids that are not canonical UUIDs.
absl::StatusOr<std::vector<uint8_t>> SealEntryWrap(const SecretBytes& folder_key,
                                                   std::string_view parent_id,
                                                   std::string_view entry_id,
                                                   const EntryWrap& entry);

// DATA_LOSS when the wrap does not open with this key at this place (altered,
// moved, or another folder's), or its plaintext is malformed.
absl::StatusOr<EntryWrap> OpenEntryWrap(const SecretBytes& folder_key,
                                        std::span<const uint8_t> wrap,
                                        std::string_view parent_id, std::string_view entry_id);

}  // namespace freehold::client
