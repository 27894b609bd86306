// The accounts service's access-token keys: one signing key and several verification
// keys (rotation), kept as files under <data dir>/token-keys/:
//   keyring        key ids, newest (the signing key) first, one per line
//   <key_id>.key   the secret key (common/signed_token.h format, mode 0600)
// Rotation adds a new signing key and keeps the newest `max_keys` keys for verification
// (older files are removed), so tokens signed with the previous key stay valid until
// they expire. Running services load the ring at start; restart them after rotating.
//
// Public verification key file (read by every other service, brief format):
//   ed25519 <key_id> <base64 public key>      one line per key, signing key first
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/signed_token.h"

namespace freehold::accounts {

class TokenKeyring {
 public:
  // Loads <data_dir>/token-keys, creating the directory and a first key if there is
  // none. INVALID_ARGUMENT / NOT_FOUND / PERMISSION_DENIED naming the bad file.
  static absl::StatusOr<std::unique_ptr<TokenKeyring>> OpenOrCreate(const std::string& data_dir);
  // Adds a new signing key and prunes to the newest `max_keys` (>= 2). Returns the new
  // signing key id.
  static absl::StatusOr<std::string> Rotate(const std::string& data_dir, int max_keys);

  const TokenSigner& signer() const { return signer_; }
  const TokenVerifier& verifier() const { return verifier_; }
  // Signing key first.
  const std::vector<PublicKey>& public_keys() const { return public_keys_; }

 private:
  TokenKeyring(SigningKey signing, std::vector<PublicKey> public_keys);
  TokenSigner signer_;
  TokenVerifier verifier_;
  std::vector<PublicKey> public_keys_;
};

// The public key file text (see the file comment).
std::string FormatVerificationKeys(const std::vector<PublicKey>& keys);
// Parses that text; blank lines and '#' comments are ignored. INVALID_ARGUMENT naming
// the line.
absl::StatusOr<std::vector<PublicKey>> ParseVerificationKeys(std::string_view text);
// Writes the file atomically (temp file + rename), mode 0644.
absl::Status WriteVerificationKeysFile(const std::vector<PublicKey>& keys, const std::string& path);

}  // namespace freehold::accounts
