// Operator-facing checks of a node map: conditions under which placement
// cannot fill nodes in proportion to capacity, reported instead of silently
// skewing.
#pragma once

#include <string>
#include <vector>

#include "coordinator/placement/placement_map.h"

namespace freehold::placement {

struct MapFinding {
  enum class Kind {
    // Fewer eligible failure domains (or zone slots) than k+m: Place() fails.
    kTooFewFailureDomains,
    // One failure domain holds at least 1/(k+m) of the member capacity; it
    // can take at most one shard per segment, so it stays underfilled, the
    // other domains overfill and no effective-weight correction is applied.
    kDomainOverShare,
    // One zone holds more than max_shards_per_zone/(k+m) of the capacity.
    kZoneOverCap,
    // The effective-weight correction did not reach its tolerance.
    kCorrectionNotConverged,
  };
  Kind kind;
  std::string subject;  // the domain or zone concerned ("" for the whole map)
  std::string message;  // one line for operators: what is wrong and what to do
};

const char* MapFindingKindName(MapFinding::Kind kind);

// All findings for `map`, most severe first. Empty for a healthy map.
std::vector<MapFinding> FindMapProblems(const PlacementMap& map);

}  // namespace freehold::placement
