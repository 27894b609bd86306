#include "coordinator/core/inkind_valuation.h"

#include <algorithm>
#include <limits>
#include <map>

#include "common/status.h"
#include "coordinator/core/node_registry.h"

namespace freehold::coordinator {

DonatedNodeValue ValueDonatedNode(const NodeDonation& donation, const std::optional<Node>& node,
                                  const std::optional<StoredReputation>& reputation,
                                  const InKindRules& rules, absl::Time now) {
  DonatedNodeValue v;
  v.donation = donation;
  if (reputation.has_value()) v.reputation = reputation->reputation.Value();
  if (!node.has_value()) {
    v.reason = "not registered";
    return v;
  }
  if (!node->approved_at.has_value()) {
    v.reason = "not approved";
    return v;
  }
  switch (EffectiveState(*node, now, rules.node_down_after)) {
    case NodeState::kUp:
      break;
    case NodeState::kDown:
      v.reason = "down";
      return v;
    case NodeState::kDraining:
      v.reason = "draining";
      return v;
    case NodeState::kRetired:
      v.reason = "retired";
      return v;
  }
  const int64_t passed = reputation.has_value() ? reputation->reputation.passed : 0;
  if (passed < rules.min_audits_passed) {
    v.reason = "not audited yet";
    return v;
  }
  if (reputation.has_value() && reputation->suspended_at.has_value()) {
    v.reason = "suspended";
    return v;
  }
  if (v.reputation < rules.reputation_threshold) {
    v.reason = "reputation below threshold";
    return v;
  }
  uint64_t counted = node->capacity_bytes;
  const uint64_t reported = node->used_bytes > std::numeric_limits<uint64_t>::max() - node->free_bytes
                                ? std::numeric_limits<uint64_t>::max()
                                : node->used_bytes + node->free_bytes;
  counted = std::min(counted, reported);
  if (donation.cap_bytes > 0) counted = std::min(counted, donation.cap_bytes);
  v.counting = true;
  v.counted_raw_bytes = counted;
  return v;
}

InKindValuation ValueDonatedNodes(const std::vector<NodeDonation>& donations,
                                  const std::vector<Node>& nodes,
                                  const std::vector<StoredReputation>& reputations,
                                  const InKindRules& rules, absl::Time now) {
  std::map<std::string, const Node*> by_id;
  for (const Node& n : nodes) by_id[n.node_id] = &n;
  std::map<std::string, const StoredReputation*> rep_by_id;
  for (const StoredReputation& r : reputations) rep_by_id[r.node_id] = &r;
  InKindValuation out;
  std::vector<NodeDonation> sorted = donations;
  std::sort(sorted.begin(), sorted.end(),
            [](const NodeDonation& a, const NodeDonation& b) { return a.node_id < b.node_id; });
  for (const NodeDonation& d : sorted) {
    std::optional<Node> node;
    if (auto it = by_id.find(d.node_id); it != by_id.end()) node = *it->second;
    std::optional<StoredReputation> rep;
    if (auto it = rep_by_id.find(d.node_id); it != rep_by_id.end()) rep = *it->second;
    DonatedNodeValue v = ValueDonatedNode(d, node, rep, rules, now);
    if (v.counting) {
      ++out.capacity.nodes;
      const uint64_t room = std::numeric_limits<uint64_t>::max() - out.capacity.raw_bytes;
      out.capacity.raw_bytes += std::min(room, v.counted_raw_bytes);
    }
    out.nodes.push_back(std::move(v));
  }
  return out;
}

absl::StatusOr<InKindValuation> StoreInKindSource::Read() {
  FH_ASSIGN_OR_RETURN(std::vector<NodeDonation> donations, donations_.List());
  if (donations.empty()) return InKindValuation();
  std::vector<Node> nodes;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(nodes, txn.nodes().List());
    return absl::OkStatus();
  }));
  FH_ASSIGN_OR_RETURN(std::vector<StoredReputation> reputations, durability_.Reputations());
  return ValueDonatedNodes(donations, nodes, reputations, rules_, clock_.Now());
}

}  // namespace freehold::coordinator
