// The coordinator public keys whose grants this daemon accepts, loaded from the
// --coordinator-keys file and replaceable at run time (SIGHUP, or when the file
// changes) without restarting. Several keys = rotation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/signed_token.h"

namespace freehold::storaged {

// Parses a public key file: one key per line, either the team format
// "ed25519 <key_id> <base64 public key>" (standard or URL-safe base64) or
// common/signed_token.h's "fh-ed25519-public:<key_id>:<base64url>". Blank lines and
// lines starting with '#' are skipped. INVALID_ARGUMENT naming `source` and the line
// number when a line is malformed or the file holds no key.
absl::StatusOr<std::vector<PublicKey>> ParsePublicKeyFile(std::string_view text,
                                                          std::string_view source);

// Formats keys in the team format, one per line (used by tests and tools).
std::string FormatPublicKeyFile(const std::vector<PublicKey>& keys);

// Thread-safe. Readers take a snapshot (shared_ptr) of the current verifier; a
// failed reload keeps the previous keys.
class CoordinatorKeyRing {
 public:
  // Reads `path` once; errors name the path (NOT_FOUND, INVALID_ARGUMENT, ...).
  static absl::StatusOr<std::unique_ptr<CoordinatorKeyRing>> Load(std::string path);
  // A ring over fixed keys (no file); Reload* are no-ops.
  explicit CoordinatorKeyRing(const std::vector<PublicKey>& keys);

  std::shared_ptr<const TokenVerifier> verifier() const;
  size_t key_count() const;
  const std::string& path() const { return path_; }

  // Re-reads the file unconditionally. On error the old keys stay in force.
  absl::Status Reload();
  // Re-reads the file if its size, mtime or inode changed since the last load.
  // Returns true if new keys were loaded.
  absl::StatusOr<bool> ReloadIfChanged();

 private:
  struct FileStamp {
    uint64_t inode = 0;
    int64_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  CoordinatorKeyRing(std::string path, std::vector<PublicKey> keys, FileStamp stamp);
  static absl::StatusOr<FileStamp> Stat(const std::string& path);

  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenVerifier> verifier_ ABSL_GUARDED_BY(mu_);
  size_t key_count_ ABSL_GUARDED_BY(mu_) = 0;
  FileStamp stamp_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::storaged
