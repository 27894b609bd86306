// Who an object is shared with, kept by its owner beside the age header on the
// coordinator (docs/PROTOCOL.md 8.1), so every device of the owner sees the
// same recipients, and which header stanza belongs to whom (X25519 stanzas do
// not say), so one recipient's stanza can be removed.
//
//   key  = crypto_kdf_derive_from_key(32, id = 3, ctx = "FhShar01", identity secret)
//   blob = 0x01 || nonce24 || XChaCha20-Poly1305(key, text,
//            aad = "freehold/v1/share-record" || 0x01 || object id (36 ASCII bytes))
//   text = "freehold-share-record v1\n" then one line per recipient:
//          "account <handle> <account id> <age1... public key> <stanza share>\n"
//          "link - - <age1... public key> <stanza share>\n"
// where <stanza share> is the first argument of the recipient's X25519 stanza.
// Only the owner can read or write it; it is bound to its object.
// Thread-safe free functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/core/age_header.h"
#include "client/core/age_recipients.h"
#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

struct ShareEntry {
  enum class Kind { kAccount, kLink };
  Kind kind = Kind::kAccount;
  std::string handle;        // accounts only
  std::string account_id;    // accounts only
  std::string public_key;    // "age1...": the account's key, or the link identity's
  std::string stanza_share;  // the recipient's X25519 stanza's first argument
  bool operator==(const ShareEntry&) const = default;
};

struct ShareRecord {
  std::vector<ShareEntry> entries;
  bool operator==(const ShareRecord&) const = default;
};

inline constexpr uint8_t kShareRecordVersion = 1;

SecretBytes ShareRecordKey(const X25519Identity& identity);

// INVALID_ARGUMENT if the key is not 32 bytes, the object id is not a
// canonical UUID, or a field is empty or holds white space.
absl::StatusOr<std::vector<uint8_t>> SealShareRecord(const SecretBytes& key,
                                                     const ShareRecord& record,
                                                     std::string_view object_id);
// An empty blob is an empty record (objects never shared, or shared before the
// record existed). INVALID_ARGUMENT malformed; PERMISSION_DENIED if it does not
// open (wrong key, altered, or another object's record).
absl::StatusOr<ShareRecord> OpenShareRecord(const SecretBytes& key, std::span<const uint8_t> blob,
                                            std::string_view object_id);

// The first argument of the X25519 stanza that AddRecipients/AddPublicLink
// appended last to `header` (INVALID_ARGUMENT if the last stanza is not X25519).
absl::StatusOr<std::string> LastStanzaShare(const AgeHeader& header);

// `header` without the X25519 stanzas whose share is in `shares`, with a new
// MAC. `opener` must open the header (errors as UnwrapFileKey) and must still
// open the result (FAILED_PRECONDITION otherwise: the owner's own stanza is
// never removed). Shares not found are ignored; *removed (if non-null) counts
// the stanzas removed.
absl::StatusOr<AgeHeader> RemoveStanzas(const AgeHeader& header,
                                        std::span<const AgeIdentity* const> opener,
                                        const std::vector<std::string>& shares,
                                        int* removed = nullptr);

}  // namespace freehold::client
