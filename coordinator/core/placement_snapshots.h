// Turns the registry's node list into a coordinator_placement PlacementMap and
// caches it until something placement cares about changes (membership, state,
// capacity, domain, or a node crossing the "full" line), so BeginSegment does
// not rebuild effective weights on every call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coordinator/core/model.h"
#include "coordinator/placement/placement_map.h"

namespace freehold::coordinator {

// Thread-safe.
class PlacementSnapshots {
 public:
  PlacementSnapshots(placement::PlacementPolicy policy, absl::Duration node_down_after);

  // The map for `nodes` at `now`. A node is treated as full (skipped) when its
  // last reported free bytes are below `min_free_bytes`. INVALID_ARGUMENT if
  // the node list is not a valid map.
  absl::StatusOr<std::shared_ptr<const placement::PlacementMap>> For(
      const std::vector<Node>& nodes, absl::Time now, uint64_t min_free_bytes);

  const placement::PlacementPolicy& policy() const { return policy_; }

 private:
  const placement::PlacementPolicy policy_;
  const absl::Duration node_down_after_;
  absl::Mutex mu_;
  std::string fingerprint_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const placement::PlacementMap> map_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

// The placement key of segment `segment` of a canonical object UUID.
placement::SegmentKey SegmentKeyOf(const std::string& object_id, int segment);

}  // namespace freehold::coordinator
