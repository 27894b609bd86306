// The user's encrypted folder tree as the CLI sees it (docs/ARCHITECTURE.md#folders):
// paths split into names, each step resolved by the keyed hash of (parent, name)
// with one ResolveEntry call (an indexed lookup; nothing is listed), folder
// names sealed and opened with the metadata key. Counts the RPCs it makes so
// commands can report them (--json "rpcs"). Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/coordinator_api.h"
#include "client/core/keys.h"
#include "client/core/metadata.h"
#include "client/core/naming_keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::cli {

// A remote path: "/a/b", "a/b" and "a//b/" are the same; "" and "/" are the
// root. Usage error for "." or ".." components (paths are not normalized).
absl::StatusOr<std::vector<std::string>> SplitRemotePath(const std::string& path);
std::string JoinRemotePath(const std::vector<std::string>& parts);

// True if `name` can be one local path component: not empty, ".", "..", and
// without '/' or NUL (newlines, spaces and any other bytes are kept).
bool IsPortableComponent(const std::string& name);

struct RemoteEntry {
  bool is_folder = false;
  std::string id;         // folder or object id; "" for the root folder
  std::string parent_id;  // "" = root
  std::string name;       // decrypted; "" for the root
  client::FileMetadata metadata;  // decrypted (folders: name, times, mode)
  v1::ObjectSummary object;       // objects
  v1::FolderSummary folder;       // folders (Lookup, List): key header and wrap
};

// Naming generations (client/core/naming_keys.h): names are sealed and hashed with
// `identity` (the newest generation); `older` (org mode: every key generation held,
// Context::ExtraIdentities) are tried too when reading and looking up, newest first,
// so entries written before a rotation keep resolving by path.
class RemoteTree {
 public:
  RemoteTree(CoordinatorApi& coordinator, const client::X25519Identity& identity,
             const std::vector<const client::X25519Identity*>& older = {});

  // The newest generation's keys (what writers use).
  const client::SecretBytes& metadata_key() const { return keys_.metadata_key(0); }
  const client::NamingKeys& naming_keys() const { return keys_; }
  std::string Hash(const std::string& parent_id, const std::string& name) const;

  // The entry named `name` in `parent_id`; nullopt if none. Several objects of
  // one name (possible in the root only, as before folders): a usage error
  // listing their ids. Objects whose metadata does not open to `name` are ignored.
  // With several naming generations, one ResolveEntry per generation until found
  // (newest first).
  absl::StatusOr<std::optional<RemoteEntry>> Lookup(const std::string& parent_id,
                                                    const std::string& name);
  // Resolves every component (one Lookup each). NOT_FOUND naming the first
  // missing component; FAILED_PRECONDITION when a file is used as a folder.
  absl::StatusOr<RemoteEntry> Resolve(const std::vector<std::string>& parts);
  // As Resolve, the entry must be a folder; returns its id ("" = root).
  absl::StatusOr<std::string> ResolveFolder(const std::vector<std::string>& parts);

  // Creates folder `name` in `parent_id` with the given metadata (name filled
  // in). With `exist_ok`, an existing folder of that name is returned instead.
  // With several naming generations the name is first looked up under the older
  // ones (the server sees only the newest hash, so it cannot tell).
  absl::StatusOr<std::string> Mkdir(const std::string& parent_id, const std::string& name,
                                    client::FileMetadata metadata, bool exist_ok);
  // mkdir -p: every missing component created; returns the last folder's id.
  absl::StatusOr<std::string> MkdirAll(const std::vector<std::string>& parts);

  // Every child of a folder (all pages), names decrypted (entries that do not
  // open are returned with their id as name and is_folder as given).
  absl::StatusOr<std::vector<RemoteEntry>> List(const std::string& folder_id);

  // Re-seals `entry`'s metadata under `new_name` and moves it to
  // (new_parent_id, new_name) in one MoveEntry, under the newest generation.
  // ALREADY_EXISTS if the name is taken there under an older generation.
  absl::Status Move(const RemoteEntry& entry, const std::string& new_parent_id,
                    const std::string& new_name);

  int64_t rpcs() const { return rpcs_; }
  int64_t list_rpcs() const { return list_rpcs_; }

 private:
  // `object_id` empty: a folder's metadata (version 1); else bound to the object.
  absl::StatusOr<std::string> Seal(const client::FileMetadata& metadata,
                                   const std::string& object_id = "") const;
  // The entry of `name` in `parent_id` under generation `g` only.
  absl::StatusOr<std::optional<RemoteEntry>> LookupIn(const std::string& parent_id,
                                                      const std::string& name, size_t g);
  // ALREADY_EXISTS if `name` exists in `parent_id` under an older generation
  // (nothing to do, no RPC, with one generation).
  absl::Status CheckOlderGenerations(const std::string& parent_id, const std::string& name,
                                     const std::string& moving_id = "");
  CoordinatorApi& coordinator_;
  client::NamingKeys keys_;
  int64_t rpcs_ = 0;
  int64_t list_rpcs_ = 0;
};

}  // namespace freehold::cli
