// Validation and names of the placement value types.
#include "coordinator/placement/placement_types.h"

#include "absl/strings/str_cat.h"
#include "coordinator/placement/internal/det_math.h"

namespace freehold::placement {

const char* NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kUp:
      return "up";
    case NodeState::kDown:
      return "down";
    case NodeState::kDraining:
      return "draining";
    case NodeState::kRetired:
      return "retired";
  }
  return "unknown";
}

const char* FailureDomainLevelName(FailureDomainLevel level) {
  switch (level) {
    case FailureDomainLevel::kNode:
      return "node";
    case FailureDomainLevel::kHost:
      return "host";
    case FailureDomainLevel::kZone:
      return "zone";
    case FailureDomainLevel::kRegion:
      return "region";
  }
  return "unknown";
}

absl::Status PlacementPolicy::Validate() const {
  if (data_shards < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("placement policy: data_shards must be >= 1, got ", data_shards));
  }
  if (parity_shards < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("placement policy: parity_shards must be >= 0, got ", parity_shards));
  }
  if (shard_count() > kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("placement policy: data_shards + parity_shards must be <= ", kMaxShards,
                     ", got ", shard_count()));
  }
  if (max_shards_per_zone < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("placement policy: max_shards_per_zone must be >= 0 (0 = no cap), got ",
                     max_shards_per_zone));
  }
  if (!(nearly_full_ratio > 0.0 && nearly_full_ratio <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "placement policy: nearly_full_ratio must be in (0, 1], got ", nearly_full_ratio));
  }
  return absl::OkStatus();
}

SegmentKey SegmentKey::ForObjectSegment(const uint8_t (&object_id)[16], uint32_t index) {
  uint64_t hi = 0;
  uint64_t lo = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | object_id[i];
  for (int i = 8; i < 16; ++i) lo = (lo << 8) | object_id[i];
  // Fold the index in so consecutive segments of one object get unrelated keys.
  return SegmentKey{hi ^ internal::Mix64(0x5e6d0000ULL + index), lo ^ index};
}

}  // namespace freehold::placement
