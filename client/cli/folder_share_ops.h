// Folder keys and shared folders on the client (docs/PROTOCOL.md 9.3).
//
// Owner side: a folder gets a key (a 16-byte age file key in the folder's own
// header, for the owner's identity) and every entry below it gets a wrap (its
// key and name sealed under its folder's key), in SetEntryKeys batches of up to
// 1000 entries, so giving keys to a folder of N files costs about N/1000 round
// trips (plus one ListFolder per 1000 entries and one GetObjects per 1000 files).
// Reader side: the key of a shared folder opens from its header with the
// reader's identity (or a link's); the subtree opens wrap by wrap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/context.h"
#include "client/cli/coordinator_api.h"
#include "client/cli/remote_tree.h"
#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::cli {

struct KeySync {
  int64_t folders_keyed = 0;    // folders given a key
  int64_t folders_rekeyed = 0;  // folders given a new key (stale after a rotation)
  int64_t entries_wrapped = 0;  // wraps written
  int64_t batches = 0;          // SetEntryKeys calls
  int64_t skipped = 0;          // entries whose name or key did not open (left without a wrap)
};

// The owner's keys for folder keys. `identity` opens folder and file headers (the
// account's own; in org mode the organization's naming identity), as does any of
// `more` (org mode: every key generation held, Context::ExtraIdentities); new folder
// keys are encrypted to `encrypt_to` (org mode: the organization's current generation,
// so a removed member never holds a folder key made after the removal), else to
// `identity`.
struct FolderKeyOwner {
  std::vector<const client::X25519Identity*> more;
  const client::X25519Identity* encrypt_to = nullptr;
};
// The FolderKeyOwner of this command: the organization's in org mode (after
// ctx.User() succeeded), else the defaults. Points into `ctx`.
FolderKeyOwner FolderKeyOwnerOf(const Context& ctx);

// Gives `folder_id` (one of the caller's folders) a key if it has none, then
// every folder below it a key and every entry below it without a wrap that opens
// with its folder's key a wrap. In org mode a folder whose key is stale (its header
// does not open with the organization's current generation: a removed member may
// hold the key) first gets a new key for its current generation and every recipient
// of its share record (UpdateFolderSharing), and its entries are wrapped again under
// it (docs/PROTOCOL.md 9.4). Idempotent, and an
// interrupted run is finished by the next; ABORTED if another device keyed or
// re-keyed a folder at the same moment (run again).
absl::StatusOr<KeySync> EnsureFolderKeys(CoordinatorApi& coordinator, RemoteTree& tree,
                                         const client::X25519Identity& identity,
                                         const std::string& folder_id,
                                         const FolderKeyOwner& owner = {});

// After entries were added to (or moved into) `folder_id`: if it or one of its
// ancestors has a key, EnsureFolderKeys from the nearest keyed one, so that
// readers of a shared folder can open new files. In org mode the walk up goes on
// to the top of the keyed tree, and EnsureFolderKeys starts there if a key on the
// way is stale. Nothing (no RPC beyond the GetFolder walk up) for a tree without
// keys. `folder_id` "" = root: nothing.
absl::StatusOr<KeySync> SyncFolderKeysAfterChange(CoordinatorApi& coordinator, RemoteTree& tree,
                                                  const client::X25519Identity& identity,
                                                  const std::string& folder_id,
                                                  const FolderKeyOwner& owner = {});

// One entry of a shared subtree as a reader opens it.
struct SharedEntry {
  bool is_folder = false;
  std::string id;
  std::string path;  // relative to the shared folder, '/'-separated
  client::SecretBytes key;
  v1::ObjectSummary object;  // files
};

struct SharedTree {
  std::vector<SharedEntry> entries;  // folders before their children
  int64_t unreadable = 0;            // entries without a wrap that opens (not yet keyed)
};

// The key of a folder from its header, for `identity` (an account's or a link's).
// PERMISSION_DENIED if the header holds no stanza for it (nor for any of `more`).
absl::StatusOr<client::SecretBytes> OpenFolderKey(
    const v1::FolderSummary& folder, const client::X25519Identity& identity,
    const std::vector<const client::X25519Identity*>& more = {});

// Walks the subtree of `folder_id` whose key is `folder_key` (ListFolder pages),
// opening each wrap; at most `max_entries` entries (INVALID_ARGUMENT beyond).
absl::StatusOr<SharedTree> WalkSharedFolder(CoordinatorApi& coordinator,
                                            const std::string& folder_id,
                                            const client::SecretBytes& folder_key,
                                            int64_t max_entries = 1000000);

}  // namespace freehold::cli
