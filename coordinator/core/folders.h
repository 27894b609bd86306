// The encrypted folder tree of an account (docs/ARCHITECTURE.md#folders).
//
// A folder is an opaque id, a parent (empty = the account's root), the keyed
// hash of its (parent, name) pair and an encrypted metadata blob; the client
// derives the hash key from the account identity, so the server never sees a
// name and cannot test guesses. Objects carry a parent too (empty = root: every
// object stored before folders is in the root).
//
// Names are unique per (account, parent, name hash) among folders and among
// committed objects inside folders (unique indexes), and a folder and an object
// never share a name in one parent (checked under a per-(account, parent) lock).
// The root keeps the rule of before for objects: several may share a name hash.
// A path resolves with one indexed Resolve per component; nothing lists.
//
// Only the owner sees and changes its tree: other accounts' folders are
// NOT_FOUND (their existence is not revealed).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/access.h"
#include "coordinator/core/config.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct FolderSummary {
  std::string folder_id;
  std::string parent_id;  // empty = root
  std::string name_hash;
  std::string encrypted_metadata;
  absl::Time created_at = absl::UnixEpoch();
  // Folder sharing (docs/PROTOCOL.md 9.3); the last three for the owner only.
  std::string age_header;
  std::string entry_wrap;
  std::string owner_account_id;
  bool shared_with_me = false;
  bool public_link = false;
  uint64_t header_version = 0;
  std::string share_record;
  std::vector<std::string> shared_with;
};

// The summary of `f` as its owner (`owner`) or a reader sees it.
FolderSummary SummaryOfFolder(const FolderRecord& f, bool owner);

// A sharing change of a keyed folder by its owner (UpdateFolderSharing).
struct FolderSharingInput {
  std::string folder_id;
  std::string age_header;    // required
  std::string share_record;  // <= max_metadata_bytes
  std::vector<std::string> share_with;
  bool public_link = false;
  uint64_t expected_header_version = 0;  // 0 = no check
};

// One entry of SetEntryKeys: exactly one of folder_id and object_id.
struct EntryKeyInput {
  std::string folder_id;
  std::string object_id;
  std::string age_header;  // folders without a key only
  std::string wrap;        // sealed under the parent folder's key
};

struct CreateFolderInput {
  std::string parent_id;  // empty = root
  std::string name_hash;  // 32 bytes
  std::string encrypted_metadata;  // 1..max_metadata_bytes
};

// One page of a folder's children: folders first (by id), then objects (by id).
struct FolderPage {
  std::vector<FolderSummary> folders;
  std::vector<ObjectSummary> objects;
  std::string next_page_token;  // empty at the end
};

// What a (parent, name hash) names: a folder, or objects (inside folders at
// most one; in the root possibly several, as before folders), or nothing.
struct ResolvedEntry {
  std::optional<FolderSummary> folder;
  std::vector<ObjectSummary> objects;
};

struct MoveInput {
  std::string folder_id;  // exactly one of folder_id and object_id
  std::string object_id;
  std::string new_parent_id;  // empty = root
  std::string new_name_hash;  // 32 bytes: the hash of (new parent, new name)
  std::string new_encrypted_metadata;  // empty = keep (a move without a rename)
};

// INVALID_ARGUMENT naming `field` unless empty (root) or a UUID; returns the
// canonical form.
absl::StatusOr<std::string> CheckParentId(const std::string& parent_id, absl::string_view field);

// For code that creates an object in `parent_id` inside `txn` (CreateObject,
// PutInlineObjects): locks the (account, parent) namespace, checks that the
// parent is one of the account's folders (NOT_FOUND), that no folder there has
// the name (ALREADY_EXISTS), and inside folders that no committed object has it
// (ALREADY_EXISTS). Objects in a folder need a name hash (INVALID_ARGUMENT).
// `parent_id` is canonical (CheckParentId); messages name `field`.parent_id etc.
// (`field` empty: parent_id, name_hash). `checked_parents` (optional, one per
// transaction): parents whose namespace this transaction already locked and checked;
// their lock and ownership check are not repeated (a batch of objects into one
// folder pays them once), and `parent_id` is added once checked.
absl::Status CheckObjectPlacement(MetadataTxn& txn, const std::string& account_id,
                                  const std::string& parent_id, const std::string& name_hash,
                                  absl::string_view field,
                                  std::set<std::string>* checked_parents = nullptr);

// Thread-safe; dependencies must outlive it.
class FolderTree {
 public:
  static constexpr int kDefaultPageSize = 200;
  static constexpr int kMaxPageSize = 1000;
  static constexpr uint64_t kDefaultPageBytes = uint64_t{4} << 20;
  static constexpr uint64_t kMaxPageBytes = uint64_t{12} << 20;

  FolderTree(MetadataStore& store, Clock& clock, const CoordinatorConfig& config, Logger log);

  // PERMISSION_DENIED without an account; INVALID_ARGUMENT for a malformed
  // parent_id, a name hash that is not 32 bytes, metadata empty or over the
  // limit; NOT_FOUND unknown parent; ALREADY_EXISTS the name is taken there
  // (by a folder or an object, in any state).
  absl::StatusOr<FolderSummary> Create(const Caller& caller, const CreateFolderInput& in);

  // The children of `folder_id` ("" = root), at most `page_size` entries and
  // about `max_bytes` (0 = default) per page. INVALID_ARGUMENT for a malformed
  // id or page token, NOT_FOUND unknown folder. `caller` null = anonymous; a
  // folder of another account is listed when its subtree is shared with the
  // caller or linked (SubtreeReadable), else NOT_FOUND.
  absl::StatusOr<FolderPage> List(const Caller* caller, const std::string& folder_id,
                                  int page_size, const std::string& page_token,
                                  uint64_t max_bytes = 0);
  absl::StatusOr<FolderPage> List(const Caller& caller, const std::string& folder_id,
                                  int page_size, const std::string& page_token,
                                  uint64_t max_bytes = 0) {
    return List(&caller, folder_id, page_size, page_token, max_bytes);
  }

  // Folder sharing (folder_sharing.cc, docs/PROTOCOL.md 9.3).
  // One folder: for its owner (with the sharing state) or a reader of its
  // subtree (`caller` null = anonymous, through a link). INVALID_ARGUMENT
  // missing or malformed id; NOT_FOUND unknown or not readable.
  absl::StatusOr<FolderSummary> Get(const Caller* caller, const std::string& folder_id);
  // Replaces header, record, share list and link flag of a keyed folder; returns
  // the new header_version. INVALID_ARGUMENT malformed fields, too many accounts;
  // NOT_FOUND unknown; PERMISSION_DENIED a reader that is not the owner;
  // FAILED_PRECONDITION the folder has no key yet; ABORTED version changed.
  absl::StatusOr<uint64_t> UpdateSharing(const Caller& caller, const FolderSharingInput& in);
  // Sets the keys of 1..kMaxEntryKeys entries in one transaction (all or none).
  // INVALID_ARGUMENT naming entries[i] and the field; NOT_FOUND entries[i] not
  // one of the caller's (committed, live) entries; ABORTED a folder that already
  // has a key is given another; FAILED_PRECONDITION a wrap for an entry whose
  // folder has no key (in the store or earlier in the batch).
  absl::Status SetEntryKeys(const Caller& caller, const std::vector<EntryKeyInput>& entries);
  static constexpr int kMaxEntryKeys = 1000;
  static constexpr size_t kMaxWrapBytes = 8192;

  // One indexed lookup. INVALID_ARGUMENT as Create; NOT_FOUND unknown parent.
  // A name that is not there is an empty ResolvedEntry, not an error.
  absl::StatusOr<ResolvedEntry> Resolve(const Caller& caller, const std::string& parent_id,
                                        const std::string& name_hash);

  // Moves and/or renames a folder or a committed object in one transaction.
  // INVALID_ARGUMENT malformed fields (both or neither id, bad hash/metadata);
  // NOT_FOUND unknown entry or new parent; FAILED_PRECONDITION moving a folder
  // into itself or its own subtree; ALREADY_EXISTS the name is taken there.
  absl::Status Move(const Caller& caller, const MoveInput& in);

  // Deletes an empty folder. NOT_FOUND unknown; FAILED_PRECONDITION not empty.
  absl::Status Delete(const Caller& caller, const std::string& folder_id);

 private:
  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  Logger log_;
};

}  // namespace freehold::coordinator
