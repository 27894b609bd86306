// Public keys of other accounts pinned on this device ("contacts.json" in the config
// dir, 0600), per own account: trust on first use, then a changed key is refused
// until the user compares fingerprints with the other person and re-verifies
// (`freehold contacts verify HANDLE`). A malicious accounts server therefore cannot
// silently substitute its own key for a recipient's after the first share.
//
// File: {"<own account id>": {"<handle>": {"account_id": "...", "public_key": "age1...",
//        "verified": true|false, "pinned_at": "RFC 3339"}}}. Not removed by logout or
// login (SessionStore::Clear): pins outlive sessions.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/cli/config_dir.h"

namespace freehold::cli {

struct PinnedKey {
  std::string account_id;
  std::string public_key;  // age1...
  bool verified = false;   // compared by fingerprint (contacts verify), not only first use
  std::string pinned_at;
};

// What CheckOrPin found.
enum class PinOutcome { kFirstUse, kMatches, kChanged };

// Not thread-safe; callers hold the config dir's lock for writes.
class ContactsStore {
 public:
  ContactsStore(ConfigDir dir, std::string own_account_id)
      : dir_(std::move(dir)), owner_(std::move(own_account_id)) {}

  absl::StatusOr<std::optional<PinnedKey>> Get(const std::string& handle) const;
  absl::Status Put(const std::string& handle, const PinnedKey& key) const;

  // Compares the server's current {account_id, public_key} of `handle` with the pin:
  // pins it on first use (unverified), else reports whether it matches.
  absl::StatusOr<PinOutcome> CheckOrPin(const std::string& handle, const std::string& account_id,
                                        const std::string& public_key,
                                        std::optional<PinnedKey>* pinned = nullptr) const;

 private:
  ConfigDir dir_;
  std::string owner_;
};

// FAILED_PRECONDITION for a recipient whose key changed since it was pinned, naming
// both fingerprints and the command that re-verifies.
absl::Status ChangedKeyError(const std::string& handle, const PinnedKey& pinned,
                             const std::string& current_public_key);

// The fingerprint of an "age1..." recipient ("?" if it does not parse).
std::string FingerprintOf(const std::string& public_key);

}  // namespace freehold::cli
