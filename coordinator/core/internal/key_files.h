// Public-key files shared between services (brief, cross-service contracts):
// one key per line, "ed25519 <key_id> <base64 public key>", first line = the
// current signing key. Lines in the common/signed_token.h form
// "fh-ed25519-public:<key_id>:<base64url>" are accepted too; blank lines and
// lines starting with '#' are skipped. (Local helper: common/ has no
// multi-key file API yet.)
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/signed_token.h"

namespace freehold::coordinator::internal {

// INVALID_ARGUMENT naming the line for a malformed entry; NOT_FOUND if the
// file is missing; INVALID_ARGUMENT if it holds no key.
absl::StatusOr<std::vector<PublicKey>> ParsePublicKeysText(absl::string_view text,
                                                           absl::string_view source);
absl::StatusOr<std::vector<PublicKey>> LoadPublicKeysFile(const std::string& path);

// "ed25519 <key_id> <standard base64>".
std::string FormatPublicKeyLine(const PublicKey& key);

// Writes the keys (one line each, in order) atomically with mode 0644.
absl::Status WritePublicKeysFile(const std::string& path, const std::vector<PublicKey>& keys);

}  // namespace freehold::coordinator::internal
