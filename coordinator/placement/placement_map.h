// PlacementMap: an immutable snapshot of the storage-node map that places
// segments by weighted rendezvous hashing (docs/ARCHITECTURE.md#8-placement).
//
// For a segment every eligible node gets an arrival time -ln(u)/w, with u from
// a 64-bit hash of (segment, node) and w the node's effective weight (its
// capacity corrected for sampling without replacement, see
// effective_weights.h). Nodes are walked from the earliest arrival (the best
// score w/-ln(u)) and taken when their failure domain is unused and their zone
// is under its cap, until k+m are chosen. One flat ranking means a node joining
// or leaving changes each segment's set by at most that node.
//
// Thread-safety: immutable after Build(); every method is const and safe to
// call concurrently. Cheap to share via std::shared_ptr<const PlacementMap>.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coordinator/placement/effective_weights.h"
#include "coordinator/placement/placement_types.h"

namespace freehold::placement {

class PlacementMap {
 public:
  // Builds the snapshot `version` of `nodes` under `policy`. Input order does
  // not matter. Effective weights are computed once per snapshot; when
  // `previous` is given and its member capacities per failure domain and k+m
  // are identical (e.g. only up/down or used bytes changed), its correction is
  // reused instead of recomputed (identical result, no cost).
  // INVALID_ARGUMENT: bad policy, empty or duplicate node id, zero capacity on
  // a node that is not retired.
  static absl::StatusOr<PlacementMap> Build(std::vector<NodeInfo> nodes, PlacementPolicy policy,
                                            uint64_t version = 0,
                                            const PlacementMap* previous = nullptr);

  PlacementMap(const PlacementMap&) = default;
  PlacementMap& operator=(const PlacementMap&) = default;
  PlacementMap(PlacementMap&&) = default;
  PlacementMap& operator=(PlacementMap&&) = default;

  // Places one segment: k+m node indices (see node()), shard i on element i,
  // best-ranked first. FAILED_PRECONDITION when fewer eligible failure domains
  // (or zone slots) exist than k+m; the message gives both numbers.
  absl::StatusOr<std::vector<int>> Place(const SegmentKey& segment) const;

  // As Place() with node ids.
  absl::StatusOr<std::vector<std::string>> PlaceIds(const SegmentKey& segment) const;

  // Stable shard positions. `previous[i]` is the node that held shard i under
  // an earlier map ("" for a vacant shard); previous.size() must be k+m.
  // Returns the assignment under this map: nodes still placed keep their
  // index, entering nodes (in rank order) take the vacated indices (ascending).
  // INVALID_ARGUMENT on a wrong size; FAILED_PRECONDITION as Place().
  absl::StatusOr<std::vector<std::string>> ReassignShards(
      const SegmentKey& segment, std::span<const std::string> previous) const;

  // The best-ranked eligible node that is neither in `current` nor `excluded`,
  // whose failure domain no node of `current` uses and whose zone is under its
  // cap counting `current`. Ids unknown to this map are ignored.
  // Degraded (`share_domains`; issue 23, exactly k+m domains with one of them down or
  // holding the failed node): when no such node exists, the eligible node outside
  // `excluded` whose failure domain holds the fewest shards of `current`, one holding
  // none of them before one that does, best rank among equals (zone cap ignored): two
  // shards in one domain, or on one node, is better than one missing.
  // Rebalance moves it once placement finds a free domain again.
  // FAILED_PRECONDITION when no such node exists.
  absl::StatusOr<std::string> ReplacementFor(const SegmentKey& segment,
                                             std::span<const std::string> current,
                                             std::span<const std::string> excluded,
                                             bool share_domains = false) const;

  // Place() when enough failure domains are eligible. Otherwise (degraded) every
  // eligible domain first (best-ranked node of each), then the remaining shards on
  // further nodes of the least-loaded domains (ReplacementFor with share_domains), and
  // when fewer eligible nodes than k+m exist, a second shard on the nodes holding the
  // fewest. FAILED_PRECONDITION when fewer than `min_nodes` distinct eligible nodes
  // exist (a segment on fewer nodes than that is refused rather than stored weakly).
  absl::StatusOr<std::vector<std::string>> PlaceIdsDegraded(const SegmentKey& segment,
                                                            int min_nodes) const;

  // --- Introspection (operators, tests, benchmarks) ---
  const PlacementPolicy& policy() const { return policy_; }
  uint64_t version() const { return version_; }
  int node_count() const { return static_cast<int>(nodes_.size()); }
  const NodeInfo& node(int index) const { return nodes_[index]; }  // sorted by id
  std::optional<int> IndexOf(std::string_view id) const;
  bool IsEligible(int index) const { return eligible_[index]; }
  // Weight used in scores (0 for ineligible-forever nodes).
  double EffectiveWeight(int index) const { return effective_weight_[index]; }
  // Failure domain of a node at the policy level ("region/zone/host" style).
  const std::string& DomainName(int index) const { return domain_names_[domain_of_[index]]; }
  int eligible_domain_count() const { return eligible_domains_; }
  // Result of the effective-weight correction (per member domain).
  const DomainCorrection& correction() const { return correction_; }
  // True when Build() took the correction from `previous`.
  bool correction_reused() const { return correction_reused_; }
  // Expected fraction of all shards each node receives (sums to 1 over
  // members), assuming every member node is eligible and no zone cap binds.
  // With corrected weights this equals each node's capacity share.
  std::vector<double> ExpectedShardShares() const;
  // Same with raw capacities as weights (what placement would do uncorrected).
  std::vector<double> UncorrectedShardShares() const;
  // Fraction of member capacity on each node (sums to 1 over members).
  std::vector<double> CapacityShares() const;

  // Builds a copy of this map that ignores the correction (weights = raw
  // capacity); for benchmarks that measure the uncorrected bias.
  PlacementMap WithoutCorrection() const;

 private:
  PlacementMap() = default;
  struct Candidate {
    // Order key, smaller = earlier arrival: the bits of the (positive) arrival
    // time -ln(u)/w, or with uniform weights ~hash (the same order, no log).
    uint64_t key;
    int slot;  // index into the eligible arrays
  };
  // Keys of all eligible nodes for `segment` into out[0, eligible count),
  // partitioned so those whose key may be below prefix_threshold_ come first;
  // returns how many. With non-uniform weights the keys are cheap lower
  // bounds of the arrival (t/w <= -ln(1-t)/w) until Refine() makes them exact.
  size_t Score(uint64_t segment_hash, Candidate* out) const;
  void Refine(uint64_t segment_hash, Candidate* begin, Candidate* end) const;
  // Appends the k+m chosen node indices to `out`.
  absl::Status PlaceInto(const SegmentKey& segment, std::vector<int>& out) const;
  std::vector<double> SharesFor(std::span<const double> node_weights) const;
  // Sets domain_capacity_, correction_ (computed, reused from `previous`, or
  // identity when !correct) and effective_weight_.
  void ComputeWeights(bool correct, const PlacementMap* previous = nullptr);

  PlacementPolicy policy_;
  uint64_t version_ = 0;
  std::vector<NodeInfo> nodes_;
  absl::flat_hash_map<std::string, int> index_by_id_;
  std::vector<bool> eligible_;
  std::vector<bool> member_;  // counted in capacity shares / effective weights
  std::vector<double> effective_weight_;
  std::vector<int> domain_of_;  // node -> domain index
  std::vector<int> zone_of_;    // node -> zone index
  std::vector<std::string> domain_names_;
  std::vector<std::string> zone_names_;
  std::vector<double> domain_capacity_;  // member capacity per domain
  DomainCorrection correction_;
  bool correction_reused_ = false;
  bool corrected_ = true;  // false for WithoutCorrection() copies
  int eligible_domains_ = 0;
  int eligible_slots_ = 0;        // domains usable given the zone cap
  std::string shortage_message_;  // non-empty: placement impossible

  // Hot-path arrays over eligible nodes only (slot order = node index order).
  std::vector<int> slot_node_;
  std::vector<uint64_t> slot_hash_;
  std::vector<double> slot_inv_weight_;
  std::vector<int> slot_domain_;
  std::vector<int> slot_zone_;
  bool uniform_weights_ = false;  // all eligible effective weights equal
  // Keys below this are expected for ~1.5(k+m)+4 nodes: only those are ranked
  // unless the walk needs more. Affects speed only, never the result.
  uint64_t prefix_threshold_ = ~uint64_t{0};
  void ChoosePrefixThreshold();
};

}  // namespace freehold::placement
