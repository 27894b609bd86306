// Persistence of audits, reputation and drains (docs/ARCHITECTURE.md#10-keeping-data-alive),
// beside MetadataStore: each call is its own transaction. The PostgreSQL implementation is
// coordinator/pg/pg_durability_store.h. UNAVAILABLE when the database cannot be reached.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coordinator/core/reputation.h"

namespace freehold::coordinator {

// One shard copy to audit: the HEALTHY shard `index` of a committed segment on `node_id`.
struct AuditCandidate {
  std::string object_id;
  int segment = 0;
  int index = 0;
  std::string node_id;
  std::string sha256;  // recorded at commit, 32 raw bytes
  uint64_t shard_size_bytes = 0;
  absl::Time due = absl::UnixEpoch();
};

// A precomputed challenge: BLAKE2b-256 keyed with `key` over the whole shard.
struct AuditChallenge {
  std::string key;         // 32 bytes
  std::string keyed_hash;  // 32 bytes
};

struct StoredReputation {
  std::string node_id;
  NodeReputation reputation;
  std::optional<absl::Time> suspended_at;
};

// A shard on a node, to move away (drain, rebalance).
struct PlacedShard {
  std::string object_id;
  int segment = 0;
  int index = 0;
  uint64_t shard_size_bytes = 0;
};

// Where the shards of one committed segment are (re-spreading, respread_worker.h).
struct SegmentSpread {
  std::string object_id;
  int segment = 0;
  uint64_t shard_size_bytes = 0;
  std::vector<std::string> node_ids;  // by shard index
  bool all_healthy = false;           // every shard HEALTHY (none missing or pending)
};

struct NodeLoad {
  uint64_t shards = 0;  // manifest entries naming the node (any state, any segment)
  uint64_t bytes = 0;
  uint64_t pending_deletions = 0;  // queued shard deletions on the node
};

struct DrainProgress {
  std::string node_id;
  absl::Time started_at = absl::UnixEpoch();
  uint64_t initial_shards = 0;
  uint64_t initial_bytes = 0;
  uint64_t moved_shards = 0;
  uint64_t moved_bytes = 0;
  std::optional<absl::Time> finished_at;
  std::string reason;  // "operator" or "reputation"
};

class DurabilityStore {
 public:
  virtual ~DurabilityStore() = default;

  // HEALTHY shards of committed segments on nodes stored UP or DRAINING whose next audit
  // is due at `now` (never audited: due at the segment's commit), earliest due first, at
  // most `per_node` per node and `limit` in all.
  virtual absl::StatusOr<std::vector<AuditCandidate>> DueAudits(absl::Time now, int per_node,
                                                                int limit) = 0;
  // How many shard copies DueAudits considers in all (for the rate the period needs).
  virtual absl::StatusOr<int64_t> AuditableShards() = 0;
  // Sets the shard copy's last and next audit times.
  virtual absl::Status RecordAudit(const AuditCandidate& shard, absl::Time at,
                                   absl::Time next) = 0;

  // Removes and returns one unused challenge of the shard, nullopt if none is left.
  virtual absl::StatusOr<std::optional<AuditChallenge>> TakeChallenge(const std::string& object_id,
                                                                       int segment, int index) = 0;
  virtual absl::Status AddChallenges(const std::string& object_id, int segment, int index,
                                     const std::vector<AuditChallenge>& challenges) = 0;

  // Applies one outcome to the node's stored reputation (InitialReputation when it has
  // none) under a row lock; sets suspended_at = now when the reputation falls below
  // params.threshold and clears it when it is back at or above. Returns the new row.
  virtual absl::StatusOr<StoredReputation> ApplyAudit(const std::string& node_id,
                                                      AuditOutcome outcome,
                                                      const ReputationParams& params,
                                                      absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<StoredReputation>> Reputations() = 0;

  // HEALTHY shards of committed segments on `node_id`, at most `limit`, in key order after
  // `after` (object_id, segment, index) exclusive; pass an empty object id to start.
  virtual absl::StatusOr<std::vector<PlacedShard>> ShardsOn(const std::string& node_id,
                                                            const PlacedShard& after,
                                                            int limit) = 0;
  // PENDING shards on `node_id` of uncommitted segments of uploads whose PUT grants all
  // expired at or before `now` (objects.put_grants_expire_at; none recorded counts as
  // expired), at most `limit`, in key order: no PutShard for them can still be running,
  // so the upload is not writing there now (it may still come back and begin again).
  virtual absl::StatusOr<std::vector<PlacedShard>> ExpiredPendingOn(const std::string& node_id,
                                                                    absl::Time now,
                                                                    int limit) = 0;
  // Committed segments in key order after (`after_object_id`, `after_segment`) exclusive
  // (an empty object id starts at the beginning), at most `limit`, with their shards.
  virtual absl::StatusOr<std::vector<SegmentSpread>> SegmentsAfter(
      const std::string& after_object_id, int after_segment, int limit) = 0;
  virtual absl::StatusOr<NodeLoad> LoadOf(const std::string& node_id) = 0;
  // Shard bytes of committed segments per node (HEALTHY shards only), nodes without any
  // left out.
  virtual absl::StatusOr<std::map<std::string, uint64_t>> StoredBytesPerNode() = 0;
  // Starts recording a drain unless one is recorded, unfinished and started at or after
  // `restart_before` (then unchanged): a drain undone and begun again starts afresh.
  virtual absl::Status StartDrain(const std::string& node_id, absl::Time at, const NodeLoad& load,
                                  const std::string& reason, absl::Time restart_before) = 0;
  virtual absl::Status AddDrainProgress(const std::string& node_id, uint64_t shards,
                                        uint64_t bytes) = 0;
  virtual absl::Status FinishDrain(const std::string& node_id, absl::Time at) = 0;
  // Retires a DRAINING node that holds nothing, in one transaction under the node's row
  // lock (so no shard can be placed on it, nor moved off it, between the check and the
  // change): when no manifest entry names it (any state) and no deletion is queued on it,
  // or queued deletions remain but its last heartbeat is older than `silent_after` at
  // `now` (a node that stopped answering cannot delete; they are dropped later). Sets
  // the node RETIRED and finishes its drain record at `now`. Returns whether it retired
  // the node (false: not DRAINING, unknown, or not empty yet). The heartbeat is the one
  // stored now, not one read before the pass: a pass that outlasts `silent_after` does
  // not make a live node look silent.
  virtual absl::StatusOr<bool> RetireIfDrained(const std::string& node_id, absl::Time now,
                                               absl::Duration silent_after) = 0;
  virtual absl::StatusOr<std::vector<DrainProgress>> Drains() = 0;
};

}  // namespace freehold::coordinator
