#include "coordinator/core/placement_snapshots.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/reputation_book.h"

namespace freehold::coordinator {
namespace {

placement::NodeState ToPlacementState(NodeState state) {
  switch (state) {
    case NodeState::kUp:
      return placement::NodeState::kUp;
    case NodeState::kDown:
      return placement::NodeState::kDown;
    case NodeState::kDraining:
      return placement::NodeState::kDraining;
    case NodeState::kRetired:
      return placement::NodeState::kRetired;
  }
  return placement::NodeState::kRetired;
}

}  // namespace

placement::SegmentKey SegmentKeyOf(const std::string& object_id, int segment) {
  const std::array<uint8_t, 16> bytes = UuidBytes(object_id);
  uint8_t raw[16];
  for (int i = 0; i < 16; ++i) raw[i] = bytes[i];
  return placement::SegmentKey::ForObjectSegment(raw, static_cast<uint32_t>(segment));
}

uint64_t NodeWeight(uint64_t capacity_bytes, absl::Duration up, const NodeWeightRamp& ramp) {
  if (capacity_bytes == 0) return 0;
  double fraction = 1.0;
  if (ramp.ramp > absl::ZeroDuration()) {
    const double ratio = std::max(0.0, absl::FDivDuration(up, ramp.ramp));
    fraction = std::floor(std::min(1.0, ratio) * 100.0) / 100.0;
    fraction = std::max(ramp.floor, fraction);
  }
  const double weight = static_cast<double>(capacity_bytes) * std::min(1.0, fraction);
  return std::max<uint64_t>(1, static_cast<uint64_t>(weight));
}

PlacementSnapshots::PlacementSnapshots(placement::PlacementPolicy policy,
                                       absl::Duration node_down_after, NodeWeightRamp ramp)
    : policy_(policy), node_down_after_(node_down_after), ramp_(ramp) {}

absl::StatusOr<std::shared_ptr<const placement::PlacementMap>> PlacementSnapshots::For(
    const std::vector<Node>& nodes, absl::Time now, uint64_t min_free_bytes) {
  std::vector<placement::NodeInfo> infos;
  infos.reserve(nodes.size());
  std::string fingerprint;
  for (const Node& node : nodes) {
    placement::NodeInfo info;
    info.id = node.node_id;
    info.region = node.domain.region;
    info.zone = node.domain.zone;
    info.host = node.domain.host;
    // Not approved (revoked): no placement, shards repaired like a down node's.
    info.state = node.approved_at.has_value()
                     ? ToPlacementState(EffectiveState(node, now, node_down_after_))
                     : placement::NodeState::kDown;
    if (info.state == placement::NodeState::kRetired) {
      info.capacity_bytes = node.capacity_bytes;
    } else {
      info.capacity_bytes = NodeWeight(
          node.capacity_bytes, now - node.approved_at.value_or(now), ramp_);
      // Reputation scales the ramped weight, rounded to 1/100 like the ramp.
      const double factor =
          reputation_ == nullptr ? 1.0 : std::floor(reputation_->Factor(node.node_id) * 100) / 100;
      if (factor <= 0) {
        if (info.state == placement::NodeState::kUp) info.state = placement::NodeState::kDraining;
      } else if (factor < 1) {
        info.capacity_bytes = std::max<uint64_t>(
            1, static_cast<uint64_t>(static_cast<double>(info.capacity_bytes) * factor));
      }
    }
    const bool full = node.free_bytes < min_free_bytes ||
                      static_cast<double>(node.used_bytes) >=
                          policy_.nearly_full_ratio * static_cast<double>(node.capacity_bytes);
    // Placement skips nodes at or above nearly_full_ratio of capacity.
    info.used_bytes = full ? info.capacity_bytes : 0;
    absl::StrAppend(&fingerprint, info.id, "\x1f", info.region, "\x1f", info.zone, "\x1f",
                    info.host, "\x1f", info.capacity_bytes, "\x1f", static_cast<int>(info.state),
                    "\x1f", full ? 1 : 0, "\x1e");
    infos.push_back(std::move(info));
  }
  absl::MutexLock lock(&mu_);
  if (map_ != nullptr && fingerprint == fingerprint_) return map_;
  absl::StatusOr<placement::PlacementMap> map =
      placement::PlacementMap::Build(std::move(infos), policy_, ++version_);
  if (!map.ok()) return map.status();
  map_ = std::make_shared<const placement::PlacementMap>(*std::move(map));
  fingerprint_ = std::move(fingerprint);
  return map_;
}

}  // namespace freehold::coordinator
