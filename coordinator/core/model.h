// Domain types of the coordinator (docs/ARCHITECTURE.md#7-the-coordinator): storage nodes, objects,
// segments and shards as the coordinator records them. Plain values, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace freehold::coordinator {

// Registry state of a node. Values equal proto freehold.v1.NodeState and the
// database column.
enum class NodeState : int {
  kUp = 1,        // heartbeating; eligible for new shards unless full
  kDown = 2,      // missed heartbeats for node_down_after
  kDraining = 3,  // no new shards; its shards are moved away
  kRetired = 4,   // gone for good; its shards count as missing
};
const char* NodeStateName(NodeState state);
bool NodeStateFromInt(int value, NodeState* out);

struct FailureDomain {
  std::string region;
  std::string zone;
  std::string host;
  bool operator==(const FailureDomain&) const = default;
};

struct Node {
  std::string node_id;
  std::string address;  // host:port of the daemon's gRPC server
  FailureDomain domain;
  uint64_t capacity_bytes = 0;
  std::string public_key;  // 32 raw Ed25519 bytes; verifies receipts and node calls
  NodeState state = NodeState::kUp;
  uint64_t used_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t shard_count = 0;
  std::string version;
  absl::Time registered_at = absl::UnixEpoch();
  absl::Time last_heartbeat = absl::UnixEpoch();
  absl::Time state_changed_at = absl::UnixEpoch();
  // When an operator approved the node (NodeAdmission); nullopt if it is not
  // approved or was revoked. Read-only: derived from the admission, not stored
  // with the node.
  std::optional<absl::Time> approved_at;
};

// An operator's approval of a node id with its key (docs/ARCHITECTURE.md#14-trust).
struct NodeAdmission {
  std::string node_id;
  std::string public_key;  // 32 raw Ed25519 bytes; the only key the id may register with
  absl::Time approved_at = absl::UnixEpoch();
  std::optional<absl::Time> revoked_at;  // set: revoked
};

// The latest refused registration of a node id, for the operator to review.
struct RegistrationAttempt {
  std::string node_id;
  std::string public_key;  // 32 raw bytes
  std::string address;
  FailureDomain domain;
  uint64_t capacity_bytes = 0;
  std::string reason;  // "unknown", "revoked" or "key_mismatch"
  int64_t attempts = 1;
  absl::Time first_at = absl::UnixEpoch();
  absl::Time last_at = absl::UnixEpoch();
};

// Values equal proto freehold.v1.ShardState and the database column.
enum class ShardState : int {
  kPending = 1,  // granted, not yet committed
  kHealthy = 2,  // receipt verified at commit
  kMissing = 3,  // reported corrupt or lost
  kDeleting = 4,
  // Not stored: how a manifest lists a healthy shard whose node is down now (not
  // retired). Readable again when the node returns.
  kUnavailable = 5,
};

enum class ObjectState : int {
  kUploading = 1,  // invisible; collected after upload_expires_at
  kCommitted = 2,  // visible to owner, shares and (if public) anyone
};

struct ObjectRecord {
  std::string object_id;         // canonical lower-case UUID with dashes
  std::string owner_account_id;  // canonical UUID
  std::string encrypted_metadata;
  std::string age_header;
  uint64_t size_bytes = 0;
  int data_shards = 0;
  int parity_shards = 0;
  uint64_t segment_size_bytes = 0;
  ObjectState state = ObjectState::kUploading;
  bool public_link = false;
  absl::Time created_at = absl::UnixEpoch();
  absl::Time upload_expires_at = absl::UnixEpoch();
  std::optional<absl::Time> committed_at;
  int segment_count = 0;  // set at commit
  // Keyed hash of the name (32 bytes, client-computed); empty when not given.
  std::string name_hash;
  // Small objects stored inline (docs/ARCHITECTURE.md#small-objects): the whole
  // payload; no segments. Listings leave the bytes out (inline_payload empty)
  // but keep is_inline.
  bool is_inline = false;
  std::string inline_payload;
  // The trash (docs/ARCHITECTURE.md#10-keeping-data-alive): set while a deleted
  // object waits in its owner's trash; purge_at = trashed_at + the trash window.
  // Both set or both unset. A trashed object stays kCommitted (its shards stay live
  // and repaired) but nobody reads, lists or changes it until it is restored.
  std::optional<absl::Time> trashed_at;
  std::optional<absl::Time> purge_at;
  // Sharing (docs/PROTOCOL.md 8.1): the owner-encrypted recipient list (opaque)
  // and the version every header/share/link/metadata change increments.
  std::string share_record;
  uint64_t header_version = 1;
  // The folder holding the object (docs/ARCHITECTURE.md#folders); empty = root.
  std::string parent_id;
  // Its file key and name sealed under its folder's key (0015_foldershare).
  std::string folder_wrap;
  // Set when an operator disabled the public link after an abuse report
  // (core/abuse_desk.h): the link stays off and the owner cannot turn it on again.
  std::optional<absl::Time> link_disabled_at;

  bool trashed() const { return trashed_at.has_value(); }
  int shard_count() const { return data_shards + parity_shards; }
};

// A folder of an account's encrypted tree (docs/ARCHITECTURE.md#folders). The
// server sees only ids, the parent link, the keyed (parent, name) hash and an
// opaque metadata blob.
struct FolderRecord {
  std::string folder_id;         // canonical UUID
  std::string owner_account_id;  // canonical UUID
  std::string parent_id;         // empty = the root
  std::string name_hash;         // 32 bytes
  std::string encrypted_metadata;
  absl::Time created_at = absl::UnixEpoch();
  // Folder sharing (0015_foldershare): the folder key's age header (empty = no
  // key), its key and name sealed under the parent's key, the owner's share
  // record, the compare-and-swap version and the public link flag.
  std::string age_header;
  std::string entry_wrap;
  std::string share_record;
  uint64_t header_version = 1;
  bool public_link = false;
};

struct ShardRecord {
  int index = 0;
  std::string node_id;
  std::string sha256;  // 32 raw bytes
  ShardState state = ShardState::kPending;
};

struct SegmentRecord {
  std::string object_id;
  int segment = 0;
  uint64_t segment_size_bytes = 0;
  uint64_t shard_size_bytes = 0;
  bool committed = false;
  absl::Time begun_at = absl::UnixEpoch();
  std::optional<absl::Time> committed_at;
  std::vector<ShardRecord> shards;  // in index order, k+m entries
};

// One shard to delete on a daemon.
struct DeletionTask {
  int64_t id = 0;
  std::string node_id;
  std::string shard_key;
  int attempts = 0;
};

// Aggregates for ClusterStatus and metrics.
struct StoredTotals {
  uint64_t objects = 0;        // committed objects
  uint64_t segments = 0;       // committed segments of committed objects
  uint64_t logical_bytes = 0;  // sum of committed objects' payload sizes
  uint64_t raw_bytes = 0;      // sum of shard sizes of committed segments (k+m each)
  // Of the above: committed objects in the trash and their payload bytes (counted as
  // used by the funding model until purged).
  uint64_t trash_objects = 0;
  uint64_t trash_bytes = 0;
};

// Health of one committed segment that has fewer than k+m healthy shards.
struct SegmentHealth {
  std::string object_id;
  int segment = 0;
  int data_shards = 0;
  int parity_shards = 0;
  int healthy_shards = 0;  // healthy shards on up or draining nodes
  // Healthy shards on any node not retired (down ones included): fewer than k is lost,
  // otherwise a segment with healthy_shards < k is only unavailable.
  int existing_shards = 0;
};

// Logical bytes one account committed in a window (funding: fair-share order).
struct AccountBytes {
  std::string account_id;  // canonical UUID
  uint64_t bytes = 0;
};

struct SegmentHealthCounts {
  uint64_t degraded = 0;     // healthy < k+m (includes the two below)
  uint64_t unavailable = 0;  // healthy < k <= existing: unreadable now, not lost
  uint64_t lost = 0;         // existing < k: fewer than k shards exist anywhere
};

}  // namespace freehold::coordinator
