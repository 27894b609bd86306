// Resume inside a file (docs/ARCHITECTURE.md#resume): an interrupted upload of
// a large file, run again, continues the same object at the first segment not
// committed instead of starting over.
//
// How: before the first segment of a multi-segment upload is sent, a journal
// is written (atomically, 0600) in the config directory as
// "upload-<hex>.json", hex = BLAKE2b-128 of (absolute path, parent folder id,
// name). It records the file as it was (size, modification time, inode,
// device), where it goes (parent id, name, name hash), the object (id, age
// header, sealed metadata, the layout CreateObject gave) and the age payload
// nonce. Nothing secret: the file key is in the header, wrapped to the
// account's key; the metadata is sealed. The journal is removed when the
// upload ends (committed, or failed and its object deleted); a killed CLI
// leaves it.
//
// The next upload of the same path into the same place looks the journal up.
// If the file is unchanged (all four recorded), the journal younger than the
// coordinator's upload lifetime, and its header opens with the account's
// key, the object is resumed: the same file key and nonce encode every
// segment to the same bytes, CreateObject is skipped and each segment the
// coordinator reports committed is not sent again (Uploader). Otherwise, or if
// the coordinator refuses the resume (the upload expired or was deleted, a
// segment begun with other bytes: NOT_FOUND / FAILED_PRECONDITION, or an
// UNAVAILABLE, whereupon one fresh attempt is made), the
// journal is dropped and the file uploaded afresh; the old pending object
// expires on the coordinator. Two CLIs uploading the same file into the same
// place at once are not supported (the second may resume the first's object).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/config_dir.h"
#include "client/cli/uploader.h"
#include "client/core/keys.h"

namespace freehold::cli {

// What identifies the file and the place it is being uploaded to.
struct ResumeTarget {
  std::string path;       // local file as given
  std::string parent_id;  // folder id ("" = root)
  std::string name;       // name in that folder
  // The upload goes under a random name hash (renamed into place after, as
  // put --overwrite and sync updates do): a resumed one keeps the journal's.
  bool temporary_name_hash = false;
};

// A resumable Upload: as Uploader::Upload(in), but resuming the journaled
// object when there is one (see above) and journaling a fresh multi-segment
// upload. `in.plaintext` must be a PositionalSource (InputFile) when a fresh
// upload may follow a failed resume. `keys`: the identities that may open the
// header (the account's, an organization's key in org mode); at least one.
// `journals` null: a plain Upload.
absl::StatusOr<UploadResult> UploadResumable(Uploader& uploader, const ConfigDir* journals,
                                             const ResumeTarget& target,
                                             const std::vector<const client::X25519Identity*>& keys,
                                             UploadInput in);

// The journal's file name for `target` (absolute path resolved here).
std::string UploadJournalName(const ResumeTarget& target);

}  // namespace freehold::cli
