// The coordinator's grant-signing key: created in the data directory at first
// start (coordinator.key, mode 0600) and published as coordinator.pub (and
// --public-keys-out) in the shared key-file format, current key first. Keys
// already listed in an existing coordinator.pub stay listed after it, so
// daemons keep accepting grants of a previous key during a rotation.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/signed_token.h"

namespace freehold::coordinator {

absl::StatusOr<SigningKey> LoadOrCreateGrantKey(const std::string& data_dir,
                                                const std::string& public_keys_out);

// The grant-signing key from a file every replica of the coordinator shares
// (--grant-key-file, e.g. a Kubernetes Secret; common/signed_token.h key format, not
// readable by others). The key is published like LoadOrCreateGrantKey's, current
// first, the keys already listed kept after it.
absl::StatusOr<SigningKey> LoadGrantKeyFile(const std::string& key_file,
                                            const std::string& data_dir,
                                            const std::string& public_keys_out);

// Rotation without restart: re-reads `key_file`; if it holds another key than
// `current`, publishes it (as LoadGrantKeyFile) and returns it, else nullopt.
// The operator first adds the new public key to every daemon's --coordinator-keys
// (they reload it on change), then replaces the key file; the coordinators sign with
// the new key from their next re-read, and daemons accept grants of both keys until
// the old public key is removed (after the longest grant lifetime).
absl::StatusOr<std::optional<SigningKey>> ReloadGrantKeyFile(const std::string& key_file,
                                                             const PublicKey& current,
                                                             const std::string& data_dir,
                                                             const std::string& public_keys_out);

}  // namespace freehold::coordinator
