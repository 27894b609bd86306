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

// How a newly approved node's placement weight ramps up (--node-weight-ramp,
// --node-weight-floor).
struct NodeWeightRamp {
  absl::Duration ramp = absl::ZeroDuration();  // <= 0: full weight at once
  double floor = 1.0;                          // in (0, 1]
};

// The placement weight of a node approved `up` ago:
//   capacity * max(floor, min(1, up / ramp))
// with up / ramp rounded down to a multiple of 1/100 (so the cached map changes at
// most 100 times per ramp), at least 1 for a non-zero capacity. Pure.
uint64_t NodeWeight(uint64_t capacity_bytes, absl::Duration up, const NodeWeightRamp& ramp);

// Thread-safe.
class PlacementSnapshots {
 public:
  PlacementSnapshots(placement::PlacementPolicy policy, absl::Duration node_down_after,
                     NodeWeightRamp ramp = {});

  // The map for `nodes` at `now`. A node is treated as full (skipped) when its
  // last reported free bytes are below `min_free_bytes`; a node that is not
  // approved (Node::approved_at unset) as down. Each node weighs NodeWeight. INVALID_ARGUMENT if
  // the node list is not a valid map.
  absl::StatusOr<std::shared_ptr<const placement::PlacementMap>> For(
      const std::vector<Node>& nodes, absl::Time now, uint64_t min_free_bytes);

  const placement::PlacementPolicy& policy() const { return policy_; }

  // Multiplies every node's weight with book->Factor(node) (reputation.h): a suspended
  // node (factor 0) is placed like a draining one. Set before use; may be null.
  void SetReputation(const class ReputationBook* book) { reputation_ = book; }

 private:
  const placement::PlacementPolicy policy_;
  const absl::Duration node_down_after_;
  const NodeWeightRamp ramp_;
  const class ReputationBook* reputation_ = nullptr;
  absl::Mutex mu_;
  std::string fingerprint_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const placement::PlacementMap> map_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

// The placement key of segment `segment` of a canonical object UUID.
placement::SegmentKey SegmentKeyOf(const std::string& object_id, int segment);

}  // namespace freehold::coordinator
