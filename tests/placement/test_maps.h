// Node maps shared by the placement tests.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coordinator/placement/placement_map.h"

namespace freehold::placement::testing {

inline constexpr uint64_t kTB = 1'000'000'000'000ULL;

// `hosts` hosts of `per_host` nodes each, host h in zone "z<h % zones>".
// Node ids "n<host>-<i>" padded so they sort by host.
inline std::vector<NodeInfo> Cluster(int hosts, int per_host, uint64_t capacity = 4 * kTB,
                                     int zones = 1, int first_host = 0) {
  std::vector<NodeInfo> nodes;
  for (int h = first_host; h < first_host + hosts; ++h) {
    for (int i = 0; i < per_host; ++i) {
      NodeInfo n;
      n.id = absl::StrCat("n", h < 10 ? "0" : "", h, "-", i);
      n.region = "r1";
      n.zone = absl::StrCat("z", h % zones);
      n.host = absl::StrCat("h", h);
      n.capacity_bytes = capacity;
      nodes.push_back(n);
    }
  }
  return nodes;
}

inline PlacementPolicy Policy(int k = 4, int m = 2,
                              FailureDomainLevel level = FailureDomainLevel::kHost) {
  PlacementPolicy p;
  p.data_shards = k;
  p.parity_shards = m;
  p.level = level;
  return p;
}

}  // namespace freehold::placement::testing
