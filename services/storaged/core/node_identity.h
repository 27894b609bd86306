// The node's identity, created at first start inside the data directory and kept
// across restarts: a UUID node id ("node_id") and an Ed25519 key ("node.key",
// key id = node id) that signs receipts, registrations and heartbeats.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/signed_token.h"

namespace freehold::storaged {

struct NodeIdentity {
  std::string node_id;  // lower-case UUID with dashes
  SigningKey key;       // key.key_id == node_id
};

// Loads <data_dir>/node_id and <data_dir>/node.key, creating both (mode 0600) when
// neither exists. FAILED_PRECONDITION if only one exists, or if they do not belong
// together; errors from the file helpers otherwise (naming the path, never the key).
absl::StatusOr<NodeIdentity> LoadOrCreateNodeIdentity(const std::string& data_dir);

// A random version 4 UUID, lower case with dashes.
std::string NewUuid();

// True if `text` is a lower-case UUID with dashes.
bool IsUuid(std::string_view text);

}  // namespace freehold::storaged
