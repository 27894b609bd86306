// Plain value types of the placement library: storage nodes as the registry
// sees them, the placement policy, and segment keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace freehold::placement {

// Registry state of a storage node.
enum class NodeState {
  kUp,        // heartbeating; eligible unless nearly full
  kDown,      // missed heartbeats: skipped, still a member (weights unchanged)
  kDraining,  // leaving: skipped and no longer counted in effective weights
  kRetired,   // gone: skipped and ignored
};

const char* NodeStateName(NodeState state);

// One storage node. `capacity_bytes` is its placement weight.
struct NodeInfo {
  std::string id;  // unique, non-empty
  std::string region;
  std::string zone;
  std::string host;
  uint64_t capacity_bytes = 0;  // > 0 unless retired
  uint64_t used_bytes = 0;      // from the last heartbeat
  NodeState state = NodeState::kUp;
};

// The level of the location hierarchy whose members must be distinct within a
// segment. kNode means every node is its own failure domain.
enum class FailureDomainLevel { kNode, kHost, kZone, kRegion };

const char* FailureDomainLevelName(FailureDomainLevel level);

// Placement policy of one cluster. Defaults: 4+2, hosts distinct.
struct PlacementPolicy {
  int data_shards = 4;    // k >= 1
  int parity_shards = 2;  // m >= 0; k + m <= kMaxShards
  FailureDomainLevel level = FailureDomainLevel::kHost;
  // Most shards of one segment in one zone; 0 = no cap.
  int max_shards_per_zone = 0;
  // A node whose used_bytes >= nearly_full_ratio * capacity_bytes is skipped.
  // In (0, 1]; 1 means only completely full nodes are skipped.
  double nearly_full_ratio = 0.95;

  static constexpr int kMaxShards = 64;

  int shard_count() const { return data_shards + parity_shards; }
  // INVALID_ARGUMENT naming the bad field, or OK.
  absl::Status Validate() const;
};

// Identity of a segment for hashing. Placement of a segment is a pure function
// of its key and the map.
struct SegmentKey {
  uint64_t hi = 0;
  uint64_t lo = 0;

  static SegmentKey FromUint64(uint64_t v) { return SegmentKey{0, v}; }
  // Key of segment `index` of the object with the 16-byte UUID `object_id`.
  static SegmentKey ForObjectSegment(const uint8_t (&object_id)[16], uint32_t index);

  friend bool operator==(const SegmentKey&, const SegmentKey&) = default;
};

}  // namespace freehold::placement
