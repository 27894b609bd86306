// `freehold sync`: what a one-way sync of a folder must do, computed from the
// source and destination trees alone (no I/O here; cmd_sync.cc gathers both and
// carries the plan out). docs/ARCHITECTURE.md#sync.
//
// Contract (the same both ways, local->remote and remote->local):
// - Paths are relative to the synced folders, components joined by '/'.
// - A source file absent at the destination is NEW (add).
// - A source file present at the destination as a file is CHANGED (update)
//   when the sizes differ or the modification times differ (nanoseconds, as
//   recorded in the encrypted metadata); equal size and time: UNCHANGED, not
//   sent. Content is not hashed (reading the remote copy would cost a
//   download); touching a file is enough to resend.
// - With `checksum` (sync --checksum), a source file present at the
//   destination with the same size is CHANGED iff the content hashes differ
//   (SyncEntry::content_hash, BLAKE2b-256 of the plaintext; modification times
//   are not compared); a side without a hash (a file stored without
//   --checksum, or by an older client) counts as CHANGED, so it is sent once
//   and its hash recorded. Different sizes are CHANGED without hashing.
// - A source folder absent at the destination is created (mkdir), parents first.
// - With `delete_extra`, destination entries absent at the source are DELETED
//   (files and folders, children before their folder). Renames are a delete and
//   an add.
// - A file on one side and a folder on the other under one path is a CONFLICT:
//   with `delete_extra` the destination entry (and all under it) is deleted
//   first, then the source one added; without it the plan fails
//   (FAILED_PRECONDITION naming the path) and nothing is done.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace freehold::cli {

struct SyncEntry {
  bool is_folder = false;
  uint64_t size = 0;
  int64_t modified_unix_nanos = 0;
  uint32_t mode = 0;
  std::string id;  // remote side: the object or folder id
  // BLAKE2b-256 of the content (client::ContentHasher), empty = unknown. Local
  // side: filled by the caller for --checksum; remote: from the metadata.
  std::string content_hash;
};

// Relative path -> entry; a std::map, so parents sort before their children.
using SyncTree = std::map<std::string, SyncEntry>;

enum class SyncAction { kMkdir, kAdd, kUpdate, kDelete };
const char* SyncActionName(SyncAction a);  // "mkdir", "add", "update", "delete"

struct SyncStep {
  SyncAction action;
  std::string path;
  SyncEntry source;       // kMkdir/kAdd/kUpdate: the source entry
  SyncEntry destination;  // kUpdate/kDelete: the entry replaced or removed
};

struct SyncPlan {
  // In execution order: deletes of conflicting entries, mkdirs (parents first),
  // adds and updates (path order), then the other deletes (deepest first).
  std::vector<SyncStep> steps;
  uint64_t unchanged_files = 0;
  uint64_t transfer_files = 0;  // adds + updates
  uint64_t transfer_bytes = 0;  // their source sizes
};

absl::StatusOr<SyncPlan> PlanSync(const SyncTree& source, const SyncTree& destination,
                                  bool delete_extra, bool checksum = false);

// Whether PlanSync would compare the file at `path` by content (same size on
// both sides, --checksum): the caller hashes only those local files.
bool NeedsContentHash(const SyncEntry& source, const SyncEntry& destination);

}  // namespace freehold::cli
