// The upload state machine (docs/ARCHITECTURE.md#9-put-and-get):
//   CreateObject -> (BeginSegment -> [ReplaceShardTarget]* -> CommitSegment)* -> CommitObject
// An object is invisible until CommitObject; an upload not committed within
// upload_ttl is abandoned and collected by the GC loop. Only the owner may
// drive an upload (PERMISSION_DENIED otherwise; NOT_FOUND for unknown ids).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/access.h"
#include "coordinator/core/admission.h"
#include "coordinator/core/config.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/metrics.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct CreateObjectInput {
  std::string encrypted_metadata;
  std::string age_header;
  uint64_t size_bytes = 0;
  std::string name_hash;  // empty or 32 bytes (small_objects.h)
  // Empty = the coordinator picks the id; else a UUID the client chose
  // (ALREADY_EXISTS if taken), so it can bind the metadata to it.
  std::string object_id;
  std::string parent_id;  // folder (folders.h); empty = root
};

struct CreatedObject {
  std::string object_id;
  int data_shards = 0;
  int parity_shards = 0;
  uint64_t segment_size_bytes = 0;
};

struct BeginSegmentInput {
  std::string object_id;
  int64_t segment = 0;
  uint64_t segment_size_bytes = 0;
  uint64_t shard_size_bytes = 0;
  std::vector<std::string> shard_sha256;  // k+m raw 32-byte hashes
};

// Where one shard goes, with the signed PUT grant for it.
struct ShardTarget {
  int index = 0;
  std::string node_id;
  std::string node_address;
  std::string grant;  // signed GrantClaims token
  std::string shard_key;
};

struct SegmentTargets {
  std::vector<ShardTarget> shards;  // index order
  absl::Time grants_expire_at = absl::UnixEpoch();
  int min_shards_to_commit = 0;  // receipts CommitSegment needs at least
};

struct ReplaceShardInput {
  std::string object_id;
  int64_t segment = 0;
  int64_t index = 0;
  std::string failed_node_id;
};

struct CommitSegmentInput {
  std::string object_id;
  int64_t segment = 0;
  std::vector<std::string> receipts;  // receipt tokens, any order
};

struct CommitObjectInput {
  std::string object_id;
  int64_t segment_count = 0;
};

// What CommitSegments did, in request order.
struct CommittedBatch {
  std::vector<int> missing_shards;       // per segment: shards committed without receipt
  std::vector<absl::Time> committed_at;  // per object: its (first) commit time
};

// Thread-safe; dependencies must outlive it.
class ObjectWriter {
 public:
  ObjectWriter(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
               PlacementSnapshots& placement, const GrantSigner& grants,
               AdmissionController& admission, CoordinatorMetrics* metrics, Logger log);

  // INVALID_ARGUMENT for sizes over the limits or an empty header.
  absl::StatusOr<CreatedObject> CreateObject(const Caller& caller, const CreateObjectInput& in);

  // Runs admission (RESOURCE_EXHAUSTED), places the segment (FAILED_PRECONDITION
  // when too few eligible failure domains) and signs PUT grants. Beginning an
  // uncommitted segment again with the same sizes and hashes returns its
  // current targets with fresh grants; with different ones FAILED_PRECONDITION.
  absl::StatusOr<SegmentTargets> BeginSegment(const Caller& caller, const BeginSegmentInput& in);

  // Moves shard `index` off `failed_node_id` to the best node in an unused
  // failure domain (never a node the shard already left), records the move and
  // queues a delete of anything the failed node stored. FAILED_PRECONDITION if
  // the shard is not on that node, the segment is committed, or no node fits.
  absl::StatusOr<ShardTarget> ReplaceShardTarget(const Caller& caller, const ReplaceShardInput& in);

  // Each receipt must be signed by the node its shard was placed on, for its
  // key, with the size and hash begun (INVALID_ARGUMENT naming the shard and why).
  // A genuine receipt from a node the shard was moved off since (re-targeted by a
  // drain once the upload's PUT grants expired, or replaced by ReplaceShardTarget)
  // is stale: that copy is queued for deletion, so it is not counted, and the shard is
  // treated as one without receipt (MISSING if the rest still commit; if they do not,
  // the FAILED_PRECONDITION names each re-targeted shard and its new node).
  // Receipts for all k+m shards commit a complete segment; for at least
  // config.CommitMinShards() of them (default k+1) a degraded one: the shards
  // without receipt are recorded MISSING, which the repair loop rebuilds at once,
  // and `*missing_shards` (if given) says how many. Fewer receipts are
  // FAILED_PRECONDITION naming every shard without one. Committing a committed
  // segment again is OK (missing 0).
  absl::Status CommitSegment(const Caller& caller, const CommitSegmentInput& in,
                             int* missing_shards = nullptr);

  // Batched segments (docs/ARCHITECTURE.md#batched-segments): many segments, of
  // one or several objects of the caller, in one transaction, all or none; the
  // result i answers item i. Each item follows the rules of the single call; an
  // error names the item as "segments[i]" (and the field) and keeps the single
  // call's code. INVALID_ARGUMENT for an empty batch, more than
  // config.max_segments_per_batch items or an (object, segment) named twice.
  // Admission is asked per item (RESOURCE_EXHAUSTED as BeginSegment).
  absl::StatusOr<std::vector<SegmentTargets>> BeginSegments(
      const Caller& caller, const std::vector<BeginSegmentInput>& in);
  // Items whose segment is already committed are OK with 0 missing, so a whole
  // batch may be retried. `objects` are then committed as CommitObject, in the same
  // transaction (errors name "objects[i]"); segments and objects count together
  // against the limit, and at least one of them is needed.
  absl::StatusOr<CommittedBatch> CommitSegments(const Caller& caller,
                                                const std::vector<CommitSegmentInput>& in,
                                                const std::vector<CommitObjectInput>& objects = {});
  int max_segments_per_batch() const { return config_.max_segments_per_batch; }

  // Makes the object visible. INVALID_ARGUMENT if segment_count does not match
  // the object's size; FAILED_PRECONDITION naming an uncommitted segment.
  // Committing again returns the first commit time.
  absl::StatusOr<absl::Time> CommitObject(const Caller& caller, const std::string& object_id,
                                          int64_t segment_count);

 private:
  // A description of the move ("shard i (moved from node X to node Y)") when `token` is
  // a genuine receipt for shard `index` as begun, signed by a node the shard was moved
  // off; nullopt for anything else (the caller's checks then name the problem).
  static absl::StatusOr<std::optional<std::string>> StaleReceipt(MetadataTxn& txn,
                                                                 const SegmentRecord& segment,
                                                                 int index,
                                                                 const std::string& token,
                                                                 const ClaimsCodec& codec);
  // Loads the object for update and checks owner and upload state.
  absl::StatusOr<ObjectRecord> LoadUpload(MetadataTxn& txn, const Caller& caller,
                                          const std::string& object_id, absl::Time now);
  // Checks `receipts` of `segment` (of `object_id`, begun, not committed) against
  // the placed nodes' keys (`node_keys`: node id -> public key) and, if at least
  // CommitMinShards() verify, marks the segment committed at `now`, its shards
  // HEALTHY or (without receipt) MISSING; `*missing` counts those, `*missing_list`
  // names them. A genuine receipt from a node the shard was moved off does not count
  // (StaleReceipt); `*retargeted` names such shards. Errors as CommitSegment; nothing
  // written.
  absl::Status ApplyReceipts(MetadataTxn& txn, const std::string& object_id,
                             SegmentRecord& segment, const std::vector<std::string>& receipts,
                             const std::map<std::string, std::string>& node_keys, absl::Time now,
                             int* missing, std::string* missing_list,
                             std::string* retargeted) const;
  // The targets of `record` (placed or found) with fresh PUT grants.
  SegmentTargets SignTargets(const std::string& object_id, const SegmentRecord& record,
                             const std::map<std::string, std::string>& addresses,
                             absl::Time now) const;
  ShardTarget SignPut(const std::string& object_id, const SegmentRecord& segment, int index,
                      const std::string& address, absl::Time expires_at) const;

  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  PlacementSnapshots& placement_;
  const GrantSigner& grants_;
  AdmissionController& admission_;
  CoordinatorMetrics* metrics_;
  Logger log_;
};

}  // namespace freehold::coordinator
