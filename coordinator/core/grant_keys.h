// The coordinator's grant-signing key: created in the data directory at first
// start (coordinator.key, mode 0600) and published as coordinator.pub (and
// --public-keys-out) in the shared key-file format, current key first. Keys
// already listed in an existing coordinator.pub stay listed after it, so
// daemons keep accepting grants of a previous key during a rotation.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/signed_token.h"

namespace freehold::coordinator {

absl::StatusOr<SigningKey> LoadOrCreateGrantKey(const std::string& data_dir,
                                                const std::string& public_keys_out);

}  // namespace freehold::coordinator
