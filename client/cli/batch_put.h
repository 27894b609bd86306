// `freehold put FILE...`: many files in one command, on one session and one set
// of connections (docs/ARCHITECTURE.md#small-objects).
//
// Each file is encrypted to the user's key with its own file key and metadata
// and carries the keyed hash of its name. A file whose age payload fits the
// coordinator's inline limit (GetUploadLimits) is encrypted in memory and
// queued; queued files are committed together by PutInlineObjects, one
// transaction per batch (bounded by the coordinator's batch limits). Larger
// files go through the sharded Uploader. `concurrency` files are prepared or
// uploaded at once. A coordinator without the small-object RPCs (UNIMPLEMENTED)
// gets every file sharded.
//
// Stops at the first failure (other files in flight finish); files committed
// before it stay stored and are reported.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/coordinator_api.h"
#include "client/cli/storage_nodes.h"
#include "client/cli/config_dir.h"
#include "client/cli/uploader.h"
#include "client/core/keys.h"

namespace freehold::cli {

struct PutItem {
  std::string path;  // local file
  std::string name;  // name to store it under (in a folder: one path component)
  std::string parent_id;  // folder to store it in (docs/ARCHITECTURE.md#folders); "" = root
  // The name hash to store it under; empty = EntryNameHash(parent_id, name).
  // (put --overwrite stores under a temporary hash, then renames.)
  std::string name_hash;
  bool record_mode = false;  // keep the permission bits in the metadata (put -r)
  // BLAKE2b-256 of the file (client::ContentHasher), recorded in the metadata
  // when not empty (sync --checksum).
  std::string content_hash;
};

struct PutOutcome {
  std::string path;
  std::string name;
  std::string object_id;  // empty: not stored
  uint64_t size = 0;      // plaintext bytes
  bool is_inline = false;
  int data_shards = 0, parity_shards = 0;
  uint64_t segments = 0;
  int replaced_shards = 0;
  int degraded_segments = 0;  // committed with fewer than k+m shards
  uint64_t resumed_segments = 0;  // committed by an interrupted run, not sent again
};

struct BatchPutOptions {
  int concurrency = 4;  // files prepared/uploaded at once, >= 1
  UploadConfig upload;
  // Receives the uploads' notices (a node replaced, a segment committed degraded);
  // null = dropped. Must be thread-safe and outlive PutFiles.
  TransferObserver* observer = nullptr;
  // Called (serialized) as each file is committed; may be empty.
  std::function<void(const PutOutcome&)> on_stored;
  // Org mode (org_session.h): encrypt to this identity's recipient (the organization's
  // current generation) instead of `identity`'s; names still use `identity`.
  const client::X25519Identity* encrypt_to = nullptr;
  // Resume inside large files (client/cli/upload_resume.h): the config
  // directory holding the upload journals; null = no journals, no resume.
  const ConfigDir* resume_journals = nullptr;
};

struct BatchPutResult {
  std::vector<PutOutcome> outcomes;  // item order; object_id empty for files not stored
  absl::Status status;               // first failure, or OK
};

// `identity`: the user's (files are encrypted to it; names hashed with it).
BatchPutResult PutFiles(CoordinatorApi& coordinator, StorageNodes& nodes,
                        const client::X25519Identity& identity, const std::vector<PutItem>& items,
                        const BatchPutOptions& options);

}  // namespace freehold::cli
