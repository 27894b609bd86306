// The identity of a freehold-storaged data directory, as `freehold-storaged
// --print-identity --data-dir DIR` prints it (creating it if missing), so that test
// clusters can approve their nodes (freehold-admin nodes approve) before they start.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace freehold::testing {

struct StoragedIdentity {
  std::string node_id;
  std::string public_key_line;  // fh-ed25519-public:<node id>:<key> (--public-key)
  std::string public_key;       // the 32 raw key bytes (ApproveNodeRequest)
};

// Runs the freehold-storaged binary (BinaryPath) with --print-identity.
absl::StatusOr<StoragedIdentity> PrintStoragedIdentity(const std::string& data_dir);

}  // namespace freehold::testing
