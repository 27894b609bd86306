// Many small objects, fast (docs/ARCHITECTURE.md#small-objects):
// - PutInline stores a batch of small objects inline with their rows (no
//   segments, no shards), created and committed in one transaction;
// - FindByNames resolves keyed name hashes to the caller's objects with one
//   indexed lookup per hash (no listing);
// - Limits tells clients which objects may go inline and how big a batch may be.
// Inline objects count in usage and funding like sharded ones (the stats
// queries add their payload sizes); deleting one removes its row.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/access.h"
#include "coordinator/core/admission.h"
#include "coordinator/core/config.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

inline constexpr size_t kNameHashBytes = 32;
inline constexpr int kMaxNameLookups = 1000;
// Objects listed per name hash at most (duplicate names are rare).
inline constexpr int kMaxMatchesPerName = 100;

struct InlineObjectInput {
  std::string encrypted_metadata;
  std::string age_header;
  std::string payload;    // the whole age STREAM payload
  std::string name_hash;  // empty or kNameHashBytes
  std::string object_id;  // as CreateObjectInput::object_id
  std::string parent_id;  // folder (folders.h); empty = root
};

struct InlineCommit {
  std::vector<std::string> object_ids;  // request order
  absl::Time committed_at = absl::UnixEpoch();
};

struct UploadLimits {
  uint64_t inline_max_bytes = 0;
  int inline_batch_max_objects = 0;
  uint64_t inline_batch_max_bytes = 0;
  int data_shards = 0;
  int parity_shards = 0;
  uint64_t segment_size_bytes = 0;
};

struct NameMatches {
  std::string name_hash;
  std::vector<ObjectSummary> objects;
};

// INVALID_ARGUMENT unless `hash` is empty or kNameHashBytes long; `field` names it.
absl::Status CheckNameHash(const std::string& hash, absl::string_view field);

// Thread-safe; dependencies must outlive it.
class SmallObjects {
 public:
  SmallObjects(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
               AdmissionController& admission, Logger log);

  UploadLimits Limits() const;

  // All or none. INVALID_ARGUMENT naming objects[i] and the field (payload empty
  // or over inline_max_bytes, metadata/header over their limits, bad name hash)
  // or the batch (empty, too many objects, too many bytes); PERMISSION_DENIED
  // for callers without an account; RESOURCE_EXHAUSTED from admission (one
  // decision for the batch's bytes).
  absl::StatusOr<InlineCommit> PutInline(const Caller& caller,
                                         const std::vector<InlineObjectInput>& objects);

  // One entry per hash, in order. INVALID_ARGUMENT for 0 or more than
  // kMaxNameLookups hashes or a hash that is not kNameHashBytes long.
  absl::StatusOr<std::vector<NameMatches>> FindByNames(const Caller& caller,
                                                       const std::vector<std::string>& hashes);

 private:
  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  AdmissionController& admission_;
  Logger log_;
};

}  // namespace freehold::coordinator
