// Figures computed from flat mapping tables (segment s, position i ->
// mapping[s * replicas + i] = node), shared by our placement and crushtool.
#pragma once

#include <cstdint>
#include <vector>

namespace freehold::placement::bench {

// Shards per node; nodes outside [0, node_count) are ignored.
std::vector<int64_t> CountPerNode(const std::vector<int>& mapping, int node_count);

// max / mean of `counts`.
double MaxOverMean(const std::vector<int64_t>& counts);

struct Movement {
  double set_fraction = 0;         // shards whose segment lost their node / all shards
  double positional_fraction = 0;  // positions whose node changed / all shards
};
// `before` and `after` must have the same size. Node ids must be comparable
// between the two (the same node has the same id).
Movement CompareMappings(const std::vector<int>& before, const std::vector<int>& after,
                         int replicas);

// Expected max/mean of per-node shard counts for a perfectly uniform random
// placement: each of `nodes` nodes holds one shard of a segment with
// probability replicas/nodes, independently per segment (binomial), and the
// expectation of the largest of `nodes` such counts.
double BinomialFloorMaxOverMean(int64_t segments, int nodes, int replicas);

struct ShareCheck {
  double max_deviation = 0;  // max over nodes of |observed share / capacity share - 1|
  double group_fill = 0;     // observed share / capacity share of the nodes in `group`
};
// `counts` per node, `capacity_share` per node (sums to 1), `group` marks nodes
// whose combined fill is reported (e.g. the smallest disks).
ShareCheck CheckShares(const std::vector<int64_t>& counts,
                       const std::vector<double>& capacity_share, const std::vector<bool>& group);

}  // namespace freehold::placement::bench
