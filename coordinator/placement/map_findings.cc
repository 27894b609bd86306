// Checks of a node map for operators (see map_findings.h).
#include "coordinator/placement/map_findings.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace freehold::placement {

const char* MapFindingKindName(MapFinding::Kind kind) {
  switch (kind) {
    case MapFinding::Kind::kTooFewFailureDomains:
      return "too_few_failure_domains";
    case MapFinding::Kind::kDomainOverShare:
      return "domain_over_share";
    case MapFinding::Kind::kZoneOverCap:
      return "zone_over_cap";
    case MapFinding::Kind::kCorrectionNotConverged:
      return "correction_not_converged";
  }
  return "unknown";
}

std::vector<MapFinding> FindMapProblems(const PlacementMap& map) {
  std::vector<MapFinding> findings;
  const PlacementPolicy& policy = map.policy();
  const int k = policy.shard_count();
  const char* const level = FailureDomainLevelName(policy.level);
  if (absl::StatusOr<std::vector<int>> probe = map.Place(SegmentKey{}); !probe.ok()) {
    findings.push_back({MapFinding::Kind::kTooFewFailureDomains, "",
                        absl::StrCat(probe.status().message(),
                                     "; add nodes in new failure domains or bring nodes back")});
  }

  // Member capacity per domain and per zone, in name order for stable output.
  const std::vector<double> shares = map.CapacityShares();
  std::map<std::string, double> domain_share, zone_share;
  for (int i = 0; i < map.node_count(); ++i) {
    if (shares[i] <= 0) continue;
    const NodeInfo& n = map.node(i);
    domain_share[map.DomainName(i)] += shares[i];
    zone_share[absl::StrCat(n.region, "/", n.zone)] += shares[i];
  }
  for (const auto& [name, share] : domain_share) {
    if (share * k >= 1.0 - 1e-12) {  // the correction needs every domain below 1/k
      findings.push_back(
          {MapFinding::Kind::kDomainOverShare, name,
           absl::StrFormat("%s %s holds %.2f%% of capacity but one segment puts at most 1 of %d "
                           "shards (%.2f%%) there and only a domain below that share fills evenly: "
                           "it will stay underfilled and other %ss "
                           "overfill; spread that capacity over more %ss",
                           level, name, 100 * share, k, 100.0 / k, level, level)});
    }
  }
  const bool cap_binds =
      policy.max_shards_per_zone > 0 &&
      (policy.level == FailureDomainLevel::kNode || policy.level == FailureDomainLevel::kHost);
  if (cap_binds) {
    const double limit = static_cast<double>(policy.max_shards_per_zone) / k;
    for (const auto& [name, share] : zone_share) {
      if (share > limit + 1e-12) {
        findings.push_back(
            {MapFinding::Kind::kZoneOverCap, name,
             absl::StrFormat("zone %s holds %.2f%% of capacity but the cap of %d of %d shards "
                             "per zone allows %.2f%%: it will stay underfilled",
                             name, 100 * share, policy.max_shards_per_zone, k, 100 * limit)});
      }
    }
  }
  const DomainCorrection& c = map.correction();
  if (c.feasible && !c.converged) {
    findings.push_back({MapFinding::Kind::kCorrectionNotConverged, "",
                        absl::StrFormat("effective-weight correction stopped after %d iterations "
                                        "with residual %.3g; shares may deviate by that much",
                                        c.iterations, c.max_residual)});
  }
  return findings;
}

}  // namespace freehold::placement
