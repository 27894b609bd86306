// Evenness and movement figures for the placement benchmark.
#include "bench/placement/placement_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace freehold::placement::bench {

std::vector<int64_t> CountPerNode(const std::vector<int>& mapping, int node_count) {
  std::vector<int64_t> counts(node_count, 0);
  for (int n : mapping) {
    if (n >= 0 && n < node_count) ++counts[n];
  }
  return counts;
}

double MaxOverMean(const std::vector<int64_t>& counts) {
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  const double mean = total / counts.size();
  return *std::max_element(counts.begin(), counts.end()) / mean;
}

Movement CompareMappings(const std::vector<int>& before, const std::vector<int>& after,
                         int replicas) {
  int64_t set_moves = 0, position_moves = 0;
  const size_t segments = before.size() / replicas;
  for (size_t s = 0; s < segments; ++s) {
    const int* a = &before[s * replicas];
    const int* b = &after[s * replicas];
    for (int i = 0; i < replicas; ++i) {
      position_moves += a[i] != b[i];
      set_moves += std::find(b, b + replicas, a[i]) == b + replicas;
    }
  }
  Movement m;
  m.set_fraction = static_cast<double>(set_moves) / before.size();
  m.positional_fraction = static_cast<double>(position_moves) / before.size();
  return m;
}

double BinomialFloorMaxOverMean(int64_t segments, int nodes, int replicas) {
  // E[max of n iid N(0,1)] = integral of x * n phi(x) Phi(x)^(n-1) dx.
  const double inv_sqrt2 = 1.0 / std::sqrt(2.0);
  const double inv_sqrt2pi = 1.0 / std::sqrt(2.0 * M_PI);
  double e_max = 0;
  const double step = 1e-3;
  for (double x = -10; x < 10; x += step) {
    const double phi = inv_sqrt2pi * std::exp(-0.5 * x * x);
    const double cdf = 0.5 * std::erfc(-x * inv_sqrt2);
    e_max += x * nodes * phi * std::pow(cdf, nodes - 1) * step;
  }
  const double p = static_cast<double>(replicas) / nodes;
  const double rel_sd = std::sqrt((1 - p) / (segments * p));
  return 1 + e_max * rel_sd;
}

ShareCheck CheckShares(const std::vector<int64_t>& counts,
                       const std::vector<double>& capacity_share, const std::vector<bool>& group) {
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  ShareCheck check;
  double group_observed = 0, group_capacity = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double observed = counts[i] / total;
    check.max_deviation =
        std::max(check.max_deviation, std::fabs(observed / capacity_share[i] - 1));
    if (group[i]) {
      group_observed += observed;
      group_capacity += capacity_share[i];
    }
  }
  check.group_fill = group_capacity > 0 ? group_observed / group_capacity : 0;
  return check;
}

}  // namespace freehold::placement::bench
