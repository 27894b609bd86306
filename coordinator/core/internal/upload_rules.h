// Rules the single and the batched segment calls of ObjectWriter share
// (object_writer.cc, segment_batches.cc). Not an API.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coordinator/core/access.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator::upload_internal {

// `value` as a segment or shard index (0..INT32_MAX); INVALID_ARGUMENT naming `field`.
absl::StatusOr<int> SegmentIndex(int64_t value, absl::string_view field);
// Loads an object for update and checks that `caller` owns it (NOT_FOUND otherwise).
absl::StatusOr<ObjectRecord> LoadOwned(MetadataTxn& txn, const Caller& caller,
                                       const std::string& object_id);
// FAILED_PRECONDITION unless the object is uploading and its upload has not expired.
absl::Status CheckUploading(const ObjectRecord& object, absl::Time now);
// CommitObject on `object` (loaded for update, owned by the caller): checks
// segment_count against its size and that every segment is committed, then marks
// it committed at `now` (FAILED_PRECONDITION naming an uncommitted segment). An
// object committed before answers its first commit time.
absl::StatusOr<absl::Time> CommitLoaded(MetadataTxn& txn, ObjectRecord& object,
                                        int64_t segment_count, absl::Time now);
// node id -> address.
std::map<std::string, std::string> AddressesOf(const std::vector<Node>& nodes);

}  // namespace freehold::coordinator::upload_internal
