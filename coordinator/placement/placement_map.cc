// PlacementMap construction and the rendezvous walk (see placement_map.h).
#include "coordinator/placement/placement_map.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "coordinator/placement/internal/det_math.h"

namespace freehold::placement {
namespace {

using internal::Mix64;

constexpr uint64_t kNodeSeed = 0x6672656568306c64ULL;  // "freeh0ld"
constexpr uint64_t kSegmentSeed = 0x243f6a8885a308d3ULL;

uint64_t SegmentHash(const SegmentKey& key) { return Mix64(Mix64(key.lo ^ kSegmentSeed) ^ key.hi); }

constexpr size_t kStackCandidates = 256;

struct ArrivesBefore {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a.key < b.key || (a.key == b.key && a.slot < b.slot);
  }
};

std::string DomainKey(const NodeInfo& n, FailureDomainLevel level) {
  switch (level) {
    case FailureDomainLevel::kNode:
      return n.id;
    case FailureDomainLevel::kHost:
      return absl::StrCat(n.region, "/", n.zone, "/", n.host);
    case FailureDomainLevel::kZone:
      return absl::StrCat(n.region, "/", n.zone);
    case FailureDomainLevel::kRegion:
      return n.region;
  }
  return n.id;
}

int Intern(const std::string& key, std::vector<std::string>& names,
           absl::flat_hash_map<std::string, int>& index) {
  auto [it, inserted] = index.try_emplace(key, static_cast<int>(names.size()));
  if (inserted) names.push_back(key);
  return it->second;
}

}  // namespace

absl::StatusOr<PlacementMap> PlacementMap::Build(std::vector<NodeInfo> nodes,
                                                 PlacementPolicy policy, uint64_t version,
                                                 const PlacementMap* previous) {
  if (absl::Status s = policy.Validate(); !s.ok()) return s;
  std::sort(nodes.begin(), nodes.end(),
            [](const NodeInfo& a, const NodeInfo& b) { return a.id < b.id; });
  PlacementMap map;
  map.policy_ = policy;
  map.version_ = version;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeInfo& n = nodes[i];
    if (n.id.empty()) {
      return absl::InvalidArgumentError("node map: a node has an empty id");
    }
    if (i > 0 && nodes[i - 1].id == n.id) {
      return absl::InvalidArgumentError(absl::StrCat("node map: duplicate node id \"", n.id, "\""));
    }
    if (n.capacity_bytes == 0 && n.state != NodeState::kRetired) {
      return absl::InvalidArgumentError(
          absl::StrCat("node map: node \"", n.id, "\" has capacity_bytes 0 but is ",
                       NodeStateName(n.state), "; only retired nodes may have no capacity"));
    }
  }
  map.nodes_ = std::move(nodes);
  const int n = map.node_count();
  absl::flat_hash_map<std::string, int> domain_index, zone_index;
  map.eligible_.resize(n);
  map.member_.resize(n);
  map.domain_of_.resize(n);
  map.zone_of_.resize(n);
  for (int i = 0; i < n; ++i) {
    const NodeInfo& node = map.nodes_[i];
    map.index_by_id_.emplace(node.id, i);
    map.domain_of_[i] = Intern(DomainKey(node, policy.level), map.domain_names_, domain_index);
    map.zone_of_[i] =
        Intern(absl::StrCat(node.region, "/", node.zone), map.zone_names_, zone_index);
    map.member_[i] = node.state == NodeState::kUp || node.state == NodeState::kDown;
    const bool nearly_full = static_cast<double>(node.used_bytes) >=
                             policy.nearly_full_ratio * static_cast<double>(node.capacity_bytes);
    map.eligible_[i] = node.state == NodeState::kUp && !nearly_full;
  }
  map.ComputeWeights(/*correct=*/true, previous);

  // Eligible domains, and how many of them the zone cap lets one segment use.
  const int domains = static_cast<int>(map.domain_names_.size());
  std::vector<bool> domain_eligible(domains, false);
  std::vector<int> domain_zone(domains, 0);
  for (int i = 0; i < n; ++i) {
    if (!map.eligible_[i]) continue;
    domain_eligible[map.domain_of_[i]] = true;
    domain_zone[map.domain_of_[i]] = map.zone_of_[i];
  }
  map.eligible_domains_ =
      static_cast<int>(std::count(domain_eligible.begin(), domain_eligible.end(), true));
  map.eligible_slots_ = map.eligible_domains_;
  const bool cap_binds =
      policy.max_shards_per_zone > 0 &&
      (policy.level == FailureDomainLevel::kNode || policy.level == FailureDomainLevel::kHost);
  if (cap_binds) {
    std::vector<int> per_zone(map.zone_names_.size(), 0);
    for (int d = 0; d < domains; ++d) {
      if (domain_eligible[d]) ++per_zone[domain_zone[d]];
    }
    map.eligible_slots_ = 0;
    for (int c : per_zone) map.eligible_slots_ += std::min(c, policy.max_shards_per_zone);
  }
  const int need = policy.shard_count();
  if (map.eligible_slots_ < need) {
    const char* const level = FailureDomainLevelName(policy.level);
    map.shortage_message_ = absl::StrCat(
        "placement needs ", need, " shards (k=", policy.data_shards, " + m=", policy.parity_shards,
        ") in distinct ", level, " failure domains but only ", map.eligible_domains_, " eligible ",
        level, " domains exist (of ", domains,
        " in the map; down, draining, retired and nearly full nodes are skipped)");
    if (cap_binds) {
      absl::StrAppend(&map.shortage_message_, ", and the cap of ", policy.max_shards_per_zone,
                      " shards per zone leaves ", map.eligible_slots_, " usable");
    }
  }

  for (int i = 0; i < n; ++i) {
    if (!map.eligible_[i]) continue;
    map.slot_node_.push_back(i);
    map.slot_hash_.push_back(internal::HashBytes(map.nodes_[i].id, kNodeSeed));
    map.slot_inv_weight_.push_back(1.0 / map.effective_weight_[i]);
    map.slot_domain_.push_back(map.domain_of_[i]);
    map.slot_zone_.push_back(map.zone_of_[i]);
  }
  map.ChoosePrefixThreshold();
  return map;
}

void PlacementMap::ComputeWeights(bool correct, const PlacementMap* previous) {
  const int n = node_count();
  domain_capacity_.assign(domain_names_.size(), 0.0);
  for (int i = 0; i < n; ++i) {
    if (member_[i])
      domain_capacity_[domain_of_[i]] += static_cast<double>(nodes_[i].capacity_bytes);
  }
  correction_reused_ = false;
  corrected_ = correct;
  if (correct && previous != nullptr && previous->corrected_ &&
      previous->policy_.shard_count() == policy_.shard_count() &&
      previous->policy_.level == policy_.level && previous->domain_names_ == domain_names_ &&
      previous->domain_capacity_ == domain_capacity_) {
    correction_ = previous->correction_;
    correction_reused_ = true;
  } else if (correct) {
    correction_ = CorrectDomainWeights(domain_capacity_, policy_.shard_count());
  } else {
    correction_ = DomainCorrection{};
    correction_.factors.assign(domain_names_.size(), 1.0);
  }
  effective_weight_.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    // Draining nodes keep their raw weight; they are never eligible anyway.
    const double factor = member_[i] ? correction_.factors[domain_of_[i]] : 1.0;
    effective_weight_[i] = static_cast<double>(nodes_[i].capacity_bytes) * factor;
  }
}

void PlacementMap::ChoosePrefixThreshold() {
  uniform_weights_ = std::all_of(slot_inv_weight_.begin(), slot_inv_weight_.end(),
                                 [&](double w) { return w == slot_inv_weight_.front(); });
  const double n = static_cast<double>(slot_hash_.size());
  const double want = 1.5 * policy_.shard_count() + 4;
  prefix_threshold_ = ~uint64_t{0};
  if (want >= n) return;
  if (uniform_weights_) {
    // Keys ~hash are uniform on [0, 2^64).
    prefix_threshold_ = static_cast<uint64_t>(want / n * 0x1p64);
    return;
  }
  // Arrival times are Exp(w): find t with sum_i P(arrival_i < t) = want.
  auto expected_below = [&](double t) {
    double sum = 0;
    for (double inv : slot_inv_weight_) sum += internal::OneMinusExpNeg(t / inv);
    return sum;
  };
  double lo = 0, hi = 1;
  while (expected_below(hi) < want) hi *= 2;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (expected_below(mid) < want ? lo : hi) = mid;
  }
  prefix_threshold_ = std::bit_cast<uint64_t>(hi);
}

PlacementMap PlacementMap::WithoutCorrection() const {
  PlacementMap copy = *this;
  copy.ComputeWeights(/*correct=*/false);
  for (size_t s = 0; s < copy.slot_node_.size(); ++s) {
    copy.slot_inv_weight_[s] = 1.0 / copy.effective_weight_[copy.slot_node_[s]];
  }
  copy.ChoosePrefixThreshold();
  return copy;
}

std::optional<int> PlacementMap::IndexOf(std::string_view id) const {
  auto it = index_by_id_.find(absl::string_view(id.data(), id.size()));
  if (it == index_by_id_.end()) return std::nullopt;
  return it->second;
}

size_t PlacementMap::Score(uint64_t segment_hash, Candidate* out) const {
  const size_t count = slot_hash_.size();
  if (count == 0) return 0;
  const uint64_t threshold = prefix_threshold_;
  // Branch-free partition: below-threshold keys fill from the front, the rest
  // from the back (each candidate is written to both ends; one write survives).
  size_t lo = 0;
  size_t hi = count - 1;
  auto put = [&](uint64_t key, size_t j) {
    const Candidate c{key, static_cast<int>(j)};
    out[lo] = c;
    out[hi] = c;
    const bool below = key < threshold;
    lo += below;
    hi -= !below;
  };
  if (uniform_weights_) {
    // -ln(u)/w is decreasing in the hash for equal w: rank by hash, no log.
    for (size_t j = 0; j < count; ++j) put(~Mix64(segment_hash ^ slot_hash_[j]), j);
  } else {
    // Lower bound t/w of the arrival -ln(1-t)/w, t = 1 - u: only nodes that
    // may arrive before the threshold need the log (see Refine).
    for (size_t j = 0; j < count; ++j) {
      const uint64_t h = Mix64(segment_hash ^ slot_hash_[j]);
      const double t = (static_cast<double>(~h) + 0.5) * 0x1p-64;
      // The factor keeps the bound strict despite rounding; > 0: bits sort like it.
      put(std::bit_cast<uint64_t>(t * slot_inv_weight_[j] * (1.0 - 0x1p-40)), j);
    }
  }
  return lo;
}

void PlacementMap::Refine(uint64_t segment_hash, Candidate* begin, Candidate* end) const {
  if (uniform_weights_) return;  // keys are exact already
  for (Candidate* c = begin; c != end; ++c) {
    const uint64_t h = Mix64(segment_hash ^ slot_hash_[c->slot]);
    c->key = std::bit_cast<uint64_t>(internal::NegLogUnit(h) * slot_inv_weight_[c->slot]);
  }
}

absl::Status PlacementMap::PlaceInto(const SegmentKey& segment, std::vector<int>& out) const {
  if (!shortage_message_.empty()) return absl::FailedPreconditionError(shortage_message_);
  const int need = policy_.shard_count();
  const int cap = policy_.max_shards_per_zone;
  const size_t total = slot_hash_.size();
  Candidate stack[kStackCandidates];
  std::vector<Candidate> heap;
  Candidate* order = stack;
  if (total > kStackCandidates) {
    heap.resize(total);
    order = heap.data();
  }
  // The walk usually needs only the best few candidates: select them one at a
  // time from the front partition. Every key behind the front is >= the
  // threshold, so once the best remaining front key reaches it (or the front
  // runs out), the rest is refined and sorted and the walk continues.
  const uint64_t s = SegmentHash(segment);
  const size_t front = Score(s, order);
  Refine(s, order, order + front);
  bool all_sorted = false;
  int picked_domain[PlacementPolicy::kMaxShards];
  int picked_zone[PlacementPolicy::kMaxShards];
  int picked = 0;
  for (size_t r = 0; r < total && picked < need; ++r) {
    if (!all_sorted) {
      if (r < front) {
        size_t best = r;
        for (size_t i = r + 1; i < front; ++i)
          best = ArrivesBefore{}(order[i], order[best]) ? i : best;
        std::swap(order[r], order[best]);
      }
      if (r >= front || order[r].key >= prefix_threshold_) {
        Refine(s, order + front, order + total);
        std::sort(order + r, order + total, ArrivesBefore{});
        all_sorted = true;
      }
    }
    const int slot = order[r].slot;
    const int domain = slot_domain_[slot];
    const int zone = slot_zone_[slot];
    bool ok = true;
    int in_zone = 0;
    for (int p = 0; p < picked && ok; ++p) {
      ok = picked_domain[p] != domain;
      in_zone += picked_zone[p] == zone;
    }
    if (!ok || (cap > 0 && in_zone >= cap)) continue;
    picked_domain[picked] = domain;
    picked_zone[picked] = zone;
    ++picked;
    out.push_back(slot_node_[slot]);
  }
  // The constraints form a laminar matroid, so the greedy walk always fills
  // k+m when enough slots exist (checked at Build).
  if (picked < need) {
    return absl::InternalError("placement walk found fewer nodes than the map promised");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> PlacementMap::Place(const SegmentKey& segment) const {
  std::vector<int> out;
  out.reserve(policy_.shard_count());
  if (absl::Status s = PlaceInto(segment, out); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<std::string>> PlacementMap::PlaceIds(const SegmentKey& segment) const {
  absl::StatusOr<std::vector<int>> placed = Place(segment);
  if (!placed.ok()) return placed.status();
  std::vector<std::string> ids;
  ids.reserve(placed->size());
  for (int i : *placed) ids.push_back(nodes_[i].id);
  return ids;
}

absl::StatusOr<std::vector<std::string>> PlacementMap::ReassignShards(
    const SegmentKey& segment, std::span<const std::string> previous) const {
  const int need = policy_.shard_count();
  if (static_cast<int>(previous.size()) != need) {
    return absl::InvalidArgumentError(absl::StrCat("previous assignment has ", previous.size(),
                                                   " shards; the policy has k+m = ", need));
  }
  absl::StatusOr<std::vector<int>> placed = Place(segment);
  if (!placed.ok()) return placed.status();
  std::vector<std::string> result(need);
  std::vector<bool> kept(need, false);  // by rank in *placed
  for (int i = 0; i < need; ++i) {
    if (previous[i].empty()) continue;
    for (int r = 0; r < need; ++r) {
      if (!kept[r] && nodes_[(*placed)[r]].id == previous[i]) {
        kept[r] = true;
        result[i] = previous[i];
        break;
      }
    }
  }
  int r = 0;
  for (int i = 0; i < need; ++i) {
    if (!result[i].empty()) continue;
    while (kept[r]) ++r;
    result[i] = nodes_[(*placed)[r]].id;
    kept[r] = true;
  }
  return result;
}

absl::StatusOr<std::vector<std::string>> PlacementMap::PlaceIdsDegraded(
    const SegmentKey& segment, int min_nodes) const {
  absl::StatusOr<std::vector<std::string>> placed = PlaceIds(segment);
  if (placed.ok() || placed.status().code() != absl::StatusCode::kFailedPrecondition) {
    return placed;
  }
  const int need = policy_.shard_count();
  const int eligible_nodes = static_cast<int>(slot_node_.size());
  if (eligible_nodes < min_nodes) {
    return absl::FailedPreconditionError(absl::StrCat(
        placed.status().message(), "; degraded placement needs at least ", min_nodes,
        " eligible nodes and ", eligible_nodes, " exist"));
  }
  std::vector<std::string> ids;
  ids.reserve(need);
  while (static_cast<int>(ids.size()) < need) {
    absl::StatusOr<std::string> next = ReplacementFor(segment, ids, {}, /*share_domains=*/true);
    if (!next.ok()) break;  // every eligible node holds a shard
    ids.push_back(*std::move(next));
  }
  // Fewer eligible nodes than shards: a second shard on the node holding the fewest
  // (earliest placed first), so that the segment is complete and repair spreads it later.
  const size_t distinct = ids.size();
  if (distinct == 0) return placed.status();
  for (size_t i = 0; static_cast<int>(ids.size()) < need; ++i) {
    ids.push_back(ids[i % distinct]);
  }
  return ids;
}

absl::StatusOr<std::string> PlacementMap::ReplacementFor(
    const SegmentKey& segment, std::span<const std::string> current,
    std::span<const std::string> excluded, bool share_domains) const {
  std::vector<int> used_domains, used_zones, skip_nodes, current_nodes, excluded_nodes;
  for (const std::string& id : current) {
    if (std::optional<int> i = IndexOf(id)) {
      used_domains.push_back(domain_of_[*i]);
      used_zones.push_back(zone_of_[*i]);
      skip_nodes.push_back(*i);
      current_nodes.push_back(*i);
    }
  }
  for (const std::string& id : excluded) {
    if (std::optional<int> i = IndexOf(id)) {
      skip_nodes.push_back(*i);
      excluded_nodes.push_back(*i);
    }
  }
  const int cap = policy_.max_shards_per_zone;
  std::vector<Candidate> order(slot_hash_.size());
  const uint64_t s = SegmentHash(segment);
  Score(s, order.data());
  Refine(s, order.data(), order.data() + order.size());
  std::sort(order.begin(), order.end(), ArrivesBefore{});
  for (const Candidate& c : order) {
    const int node = slot_node_[c.slot];
    if (std::find(skip_nodes.begin(), skip_nodes.end(), node) != skip_nodes.end()) continue;
    if (std::find(used_domains.begin(), used_domains.end(), slot_domain_[c.slot]) !=
        used_domains.end()) {
      continue;
    }
    if (cap > 0 && std::count(used_zones.begin(), used_zones.end(), slot_zone_[c.slot]) >= cap) {
      continue;
    }
    return nodes_[node].id;
  }
  if (share_domains) {
    // Degraded: the domain holding the fewest shards of `current`, a node holding none of
    // them before one that does, best rank among equals. Only `excluded` is skipped.
    int best_node = -1;
    std::pair<long, long> best_load;
    for (const Candidate& c : order) {
      const int node = slot_node_[c.slot];
      if (std::find(excluded_nodes.begin(), excluded_nodes.end(), node) != excluded_nodes.end()) {
        continue;
      }
      const std::pair<long, long> load(
          std::count(used_domains.begin(), used_domains.end(), slot_domain_[c.slot]),
          std::count(current_nodes.begin(), current_nodes.end(), node));
      if (best_node < 0 || load < best_load) {
        best_node = node;
        best_load = load;
      }
    }
    if (best_node >= 0) return nodes_[best_node].id;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no eligible node outside the ", current.size(), " current and ", excluded.size(),
      " excluded nodes in an unused ", FailureDomainLevelName(policy_.level), " failure domain (",
      eligible_domains_, " eligible domains in map version ", version_, ")"));
}

std::vector<double> PlacementMap::SharesFor(std::span<const double> node_weights) const {
  const int n = node_count();
  std::vector<double> domain_weight(domain_names_.size(), 0.0);
  for (int i = 0; i < n; ++i) {
    if (member_[i]) domain_weight[domain_of_[i]] += node_weights[i];
  }
  const int k = policy_.shard_count();
  const std::vector<double> pi = InclusionProbabilities(domain_weight, k);
  std::vector<double> shares(n, 0.0);
  for (int i = 0; i < n; ++i) {
    if (!member_[i]) continue;
    const int d = domain_of_[i];
    shares[i] = pi[d] * node_weights[i] / domain_weight[d] / k;
  }
  return shares;
}

std::vector<double> PlacementMap::ExpectedShardShares() const {
  return SharesFor(effective_weight_);
}

std::vector<double> PlacementMap::UncorrectedShardShares() const {
  std::vector<double> raw(node_count(), 0.0);
  for (int i = 0; i < node_count(); ++i) raw[i] = static_cast<double>(nodes_[i].capacity_bytes);
  return SharesFor(raw);
}

std::vector<double> PlacementMap::CapacityShares() const {
  double total = 0;
  for (int i = 0; i < node_count(); ++i) {
    if (member_[i]) total += static_cast<double>(nodes_[i].capacity_bytes);
  }
  std::vector<double> shares(node_count(), 0.0);
  for (int i = 0; i < node_count(); ++i) {
    if (member_[i]) shares[i] = static_cast<double>(nodes_[i].capacity_bytes) / total;
  }
  return shares;
}

}  // namespace freehold::placement
