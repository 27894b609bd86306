// The logged-in session kept in the config dir (session.json, mode 0600):
// where the cluster is, who the user is, the access and refresh tokens, and
// what is needed to re-derive the identity from the password (salt, Argon2id
// parameters, wrapped identity). The identity secret itself is NOT stored
// unless the user asks (`login --remember`), in a separate 0600 file
// "identity" holding the AGE-SECRET-KEY-1... line.
//
// Other files: "shares.json" remembers which accounts each object was shared
// with from this device (the coordinator's UpdateHeader replaces the whole
// share list, see share in cmd_sharing.cc); "lock" serialises token refresh.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/cli/config_dir.h"
#include "client/core/account_keys.h"
#include "client/core/keys.h"

namespace freehold::cli {

struct Session {
  std::string accounts_address;
  std::string coordinator_address;
  std::string account_id;
  std::string handle;
  std::string public_key;  // age1...
  std::string session_id;
  std::string access_token;
  absl::Time access_expires_at = absl::UnixEpoch();
  std::string refresh_token;
  absl::Time refresh_expires_at = absl::UnixEpoch();
  std::vector<uint8_t> password_salt;     // 16 bytes
  client::PwhashParams kdf;               // Argon2id parameters of the account
  std::vector<uint8_t> wrapped_identity;  // nonce || XChaCha20-Poly1305(kek, secret)
};

// JSON (de)serialization; INVALID_ARGUMENT naming the field on a bad file.
std::string SessionToJson(const Session& session);
absl::StatusOr<Session> SessionFromJson(absl::string_view json);

// Not thread-safe; one per process.
class SessionStore {
 public:
  explicit SessionStore(ConfigDir dir) : dir_(std::move(dir)) {}
  const ConfigDir& dir() const { return dir_; }

  // nullopt when nobody is logged in.
  absl::StatusOr<std::optional<Session>> Load() const;
  absl::Status Save(const Session& session) const;
  // Removes the session, the remembered identity and the share records.
  absl::Status Clear() const;

  // The remembered identity, if the user asked for it at login.
  absl::StatusOr<std::optional<client::X25519Identity>> LoadRememberedIdentity() const;
  absl::Status RememberIdentity(const client::X25519Identity& identity) const;

  // Account ids this device shared `object_id` with.
  absl::StatusOr<std::vector<std::string>> SharesOf(const std::string& object_id) const;
  absl::Status RecordShares(const std::string& object_id,
                            const std::vector<std::string>& account_ids) const;

  absl::StatusOr<FileLock> Lock() const { return dir_.Lock(); }

 private:
  ConfigDir dir_;
};

}  // namespace freehold::cli
