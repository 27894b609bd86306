// age v1 files: header construction and opening (file key wrap/unwrap, MAC),
// sharing by adding recipients to an existing header, and whole-file
// streaming encrypt/decrypt (optionally ASCII-armored).
//
// Error contract (absl::Status codes; messages never contain key material):
//   INVALID_ARGUMENT   malformed header/stanza/armor/nonce ("age header: ...",
//                      "age armor: ...", "age payload: ...");
//   PERMISSION_DENIED  no identity opens any stanza (wrong identity);
//   DATA_LOSS          header MAC mismatch, or payload chunk authentication,
//                      truncation or trailing data.
// Plaintext is only ever released per authenticated STREAM chunk.
#pragma once

#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/core/age_header.h"
#include "client/core/age_recipients.h"
#include "client/core/byte_io.h"
#include "client/core/secret_bytes.h"
#include "common/bulk/backend.h"

namespace freehold::client {

// A fresh random 16-byte file key.
SecretBytes GenerateFileKey();

// HMAC-SHA256(HKDF(file_key, "", "header"), SerializeHeaderForMac(header)).
std::array<uint8_t, 32> ComputeHeaderMac(const SecretBytes& file_key, const AgeHeader& header);

// Wraps file_key for every recipient and sets the MAC. INVALID_ARGUMENT if
// there are no recipients, or an scrypt recipient is not alone.
absl::StatusOr<AgeHeader> BuildHeader(const SecretBytes& file_key,
                                      std::span<const AgeRecipient* const> recipients);

struct NewAgeFile {
  AgeHeader header;
  SecretBytes file_key;
};
// GenerateFileKey + BuildHeader: the start of every encryption.
absl::StatusOr<NewAgeFile> NewFileHeader(std::span<const AgeRecipient* const> recipients);

// Opens the header with the first identity that matches and verifies the MAC.
absl::StatusOr<SecretBytes> UnwrapFileKey(const AgeHeader& header,
                                          std::span<const AgeIdentity* const> identities);

// Sharing: returns `header` plus stanzas for `added`, with a new MAC. The
// payload is untouched. `opener` must open the header (errors as
// UnwrapFileKey). INVALID_ARGUMENT if the header or `added` holds an scrypt
// stanza (it must stay alone).
absl::StatusOr<AgeHeader> AddRecipients(const AgeHeader& header,
                                        std::span<const AgeIdentity* const> opener,
                                        std::span<const AgeRecipient* const> added);

struct PublicLink {
  X25519Identity identity;  // goes after '#' in freehold://<object>#<identity>
  AgeHeader header;         // the header with the link's stanza added
};
// A fresh identity for a public link, added to the header.
absl::StatusOr<PublicLink> AddPublicLink(const AgeHeader& header,
                                         std::span<const AgeIdentity* const> opener);

struct EncryptOptions {
  bool armor = false;
  bulk::Backend backend = bulk::kDefaultBackend;
};
// Streams plaintext -> age file (header + payload), bounded memory. Does not
// Close `out`.
absl::Status EncryptFile(std::span<const AgeRecipient* const> recipients, ByteSource& plaintext,
                         ByteSink& out, const EncryptOptions& options = {});
// Streams age file -> plaintext; detects ASCII armor. Does not Close `out`.
absl::Status DecryptFile(std::span<const AgeIdentity* const> identities, ByteSource& in,
                         ByteSink& plaintext, bulk::Backend backend = bulk::kDefaultBackend);

}  // namespace freehold::client
